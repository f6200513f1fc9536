"""An archived message has no author nor editor any more (wecom.message._log_access): the
columns of earlier versions are dropped, their foreign keys to res.users with them (a
dropped column costs no table rewrite). Its links lost their foreign keys in the models'
init (models/links.py)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """ALTER TABLE wecom_message DROP COLUMN IF EXISTS create_uid,
                                     DROP COLUMN IF EXISTS write_uid,
                                     DROP COLUMN IF EXISTS write_date"""
    )
