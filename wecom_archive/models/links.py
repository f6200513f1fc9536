"""The links of archived rows to the members and departments they involve (a message's, a
case's): millions of rows, written set-based by the pipeline, which makes both ends itself.

A foreign key checks every inserted link with a query per side: a third of the cost of
storing a message's links, and the tenth of a case's. These relation tables have none;
what the foreign keys' ON DELETE CASCADE did, a trigger per side does (an AFTER DELETE row
trigger deleting the row's links by the relation's index): deleting a message, a case, a
member or a department deletes its links, whatever deletes it (the ORM, the retention, a
cascade from its corp or rule)."""

from odoo import fields
from odoo.tools import SQL

# (relation, its column, the table whose rows it names) of every LinkMany2many
LINKS = (
    ("wecom_message_member_rel", "wecom_message_id", "wecom_message"),
    ("wecom_message_member_rel", "wecom_member_id", "wecom_member"),
    ("wecom_message_department_rel", "wecom_message_id", "wecom_message"),
    ("wecom_message_department_rel", "wecom_department_id", "wecom_department"),
    ("wecom_violation_member_rel", "violation_id", "wecom_violation"),
    ("wecom_violation_member_rel", "member_id", "wecom_member"),
)

# a function per link: static SQL, planned once per session (the retention deletes rows
# by the thousand: a statement built per row would be planned per row)
_DELETE_LINKS = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM {relation} WHERE {column} = OLD.id;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS {function} ON {table};
CREATE TRIGGER {function} AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()
"""


class LinkMany2many(fields.Many2many):
    """A Many2many whose relation table has no foreign keys (see the module's docstring):
    Odoo creates the table, its primary key and index, and no constraint."""

    def update_db_foreign_keys(self, model):
        pass


def install_link_triggers(cr):
    """The delete trigger of every link (LINKS) whose tables exist, and the foreign keys of
    earlier versions dropped. Run by the models' init (each creates some of the tables)."""
    for relation, column, table in LINKS:
        cr.execute(
            "SELECT count(*) = 2 FROM pg_class WHERE relname IN %s AND relkind = 'r'",
            [(relation, table)],
        )
        if not cr.fetchone()[0]:
            continue
        cr.execute(
            """SELECT c.conname FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s""",
            [relation, column],
        )
        for (name,) in cr.fetchall():
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP CONSTRAINT %s",
                    SQL.identifier(relation),
                    SQL.identifier(name),
                )
            )
        # (names from LINKS, not from input)
        function = f"wecom_del_{relation}_{column}"[:63]
        cr.execute(
            _DELETE_LINKS.format(function=function, relation=relation, column=column, table=table)
        )
