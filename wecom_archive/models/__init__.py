from . import (
    wecom_contact,
    wecom_conversation,
    wecom_corp,
    wecom_corp_key,
    wecom_department,
    wecom_keyword_rule,
    wecom_member,
    wecom_message,
    wecom_rescan,
    wecom_violation,
)
