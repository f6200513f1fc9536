from . import (
    ir_binary,
    res_partner,
    res_users,
    res_users_qr_login,
    wecom_access_log,
    wecom_access_token,
    wecom_archived_data,
    wecom_contact,
    wecom_conversation,
    wecom_corp,
    wecom_corp_key,
    wecom_corp_sync,
    wecom_department,
    wecom_detector,
    wecom_group,
    wecom_keyword_rule,
    wecom_media,
    wecom_member,
    wecom_message,
    wecom_message_search,
    wecom_qr_login_state,
    wecom_rescan,
    wecom_stat_chat_day,
    wecom_stat_group_day,
    wecom_stat_member_day,
    wecom_stat_rebuild,
    wecom_viewer,
    wecom_violation,
)

# isort: split
# Extensions of models imported above: loaded after them.
from . import (
    wecom_behavior,
    wecom_dashboard,
    wecom_evidence_pack,
    wecom_evidence_verify,
    wecom_health,
    wecom_integrity,
    wecom_legal_hold,
    wecom_masking,
    wecom_reply_wait,
    wecom_retention,
    wecom_stat_follow,
    wecom_viewer_actions,
    wecom_weekly_report,
)

# isort: split
# Reads the case states of wecom_violation, whose module loads wecom_message: after wecom_media.
from . import wecom_digest
