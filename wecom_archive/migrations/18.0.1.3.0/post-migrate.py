"""An archived message has no author nor editor any more (wecom.message._log_access): the
columns of earlier versions are dropped, their foreign keys to res.users with them (a
dropped column costs no table rewrite). Its links lost their foreign keys in the models'
init (models/links.py). The recalls stored before this version whose message is not
there wait for it in wecom_recall_pending (wecom.message._mark_recalls)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """ALTER TABLE wecom_message DROP COLUMN IF EXISTS create_uid,
                                     DROP COLUMN IF EXISTS write_uid,
                                     DROP COLUMN IF EXISTS write_date"""
    )
    cr.execute(
        """INSERT INTO wecom_recall_pending (corp_id, msgid)
           SELECT DISTINCT r.corp_id, r.revoke_msgid FROM wecom_message r
            WHERE r.revoke_msgid IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM wecom_message t
                               WHERE t.corp_id = r.corp_id AND t.msgid = r.revoke_msgid)
           ON CONFLICT DO NOTHING"""
    )
