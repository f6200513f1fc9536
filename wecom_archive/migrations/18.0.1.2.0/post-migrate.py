"""A violation case keeps its own archived members (who may read it), its employee and their
department: filled from its message's members, or, for a case whose message the retention
deleted, from the members it kept then (wecom_violation_purged_member_rel, dropped after)."""

from odoo.addons.wecom_archive.models.wecom_violation import MAIN_DEPARTMENT


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """INSERT INTO wecom_violation_member_rel (violation_id, member_id)
           SELECT v.id, r.wecom_member_id FROM wecom_violation v
             JOIN wecom_message_member_rel r ON r.wecom_message_id = v.message_id
           ON CONFLICT DO NOTHING"""
    )
    cr.execute("SELECT to_regclass('wecom_violation_purged_member_rel')")
    if cr.fetchone()[0]:
        cr.execute(
            """INSERT INTO wecom_violation_member_rel (violation_id, member_id)
               SELECT violation_id, member_id FROM wecom_violation_purged_member_rel
               ON CONFLICT DO NOTHING"""
        )
    cr.execute(
        """UPDATE wecom_violation v
              SET member_id = COALESCE(
                      (SELECT m.id FROM wecom_member m
                        WHERE m.corp_id = v.corp_id AND m.userid = v.sender),
                      (SELECT min(r.member_id) FROM wecom_violation_member_rel r
                        WHERE r.violation_id = v.id))
            WHERE v.member_id IS NULL"""
    )
    cr.execute(
        f"""UPDATE wecom_violation v SET department_id = {MAIN_DEPARTMENT}
              FROM wecom_member m WHERE m.id = v.member_id AND v.department_id IS NULL"""
    )
