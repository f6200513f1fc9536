"""Violations became cases: a confirmed violation is a handled case, a dismissed one a false
positive; the reviewer and review date stay, as who closed the case and when."""

STATES = {"confirmed": "done", "dismissed": "false_positive"}


def migrate(cr, version):
    if not version:
        return
    for old, new in STATES.items():
        cr.execute("UPDATE wecom_violation SET state = %s WHERE state = %s", [new, old])
