"""References of archived rows written set-based by the pipeline, which makes both ends
itself: a message's and a case's links to the members and departments they involve
(millions of rows), and a case's references to its corp, rule, message, employee,
customer and department.

A foreign key checks every inserted row with a query per key: a third of the cost of
storing a message's links, and a quarter of recording a case. These have none. What a key
did on delete, a trigger on the named table does (an AFTER DELETE row trigger running the
statement the key's own trigger ran): deleting a message, a case, a member or a department
deletes its links, deleting a corp or a rule its cases, deleting a message, a member, a
customer or a department empties the cases' reference, whatever deletes it (the ORM, the
retention, a cascade). What the ORM writes is checked as a key would check it
(LinkMany2one); the pipeline's statements take the ids they write from the rows they
join."""

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# (table, its column, the table whose rows it names, what deleting such a row does to the
# rows naming it) of every LinkMany2many's relation and every LinkMany2one
LINKS = (
    ("wecom_message_member_rel", "wecom_message_id", "wecom_message", "cascade"),
    ("wecom_message_member_rel", "wecom_member_id", "wecom_member", "cascade"),
    ("wecom_message_department_rel", "wecom_message_id", "wecom_message", "cascade"),
    ("wecom_message_department_rel", "wecom_department_id", "wecom_department", "cascade"),
    ("wecom_violation_member_rel", "violation_id", "wecom_violation", "cascade"),
    ("wecom_violation_member_rel", "member_id", "wecom_member", "cascade"),
    ("wecom_violation", "corp_id", "wecom_corp", "cascade"),
    ("wecom_violation", "rule_id", "wecom_keyword_rule", "cascade"),
    ("wecom_violation", "message_id", "wecom_message", "set null"),
    ("wecom_violation", "member_id", "wecom_member", "set null"),
    ("wecom_violation", "contact_id", "wecom_contact", "set null"),
    ("wecom_violation", "department_id", "wecom_department", "set null"),
)
_ACTIONS = {
    "cascade": "DELETE FROM {relation} WHERE {column} = OLD.id",
    "set null": "UPDATE {relation} SET {column} = NULL WHERE {column} = OLD.id",
}

# a function per link: static SQL, planned once per session (the retention deletes rows
# by the thousand: a statement built per row would be planned per row)
_DELETE_LINKS = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    {action};
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


class LinkMany2one(fields.Many2one):
    """A Many2one without a foreign key (see the module's docstring; its delete trigger
    is in LINKS, with the field's ondelete): the ORM checks the record it writes exists,
    as the key would."""

    def update_db_foreign_key(self, model, column):
        pass

    def convert_to_column_insert(self, value, record, values=None, validate=True):
        value = super().convert_to_column_insert(value, record, values, validate)
        self._check_exists(value, record)
        return value

    def convert_to_column_update(self, value, record):
        value = super().convert_to_column_update(value, record)
        self._check_exists(value, record)
        return value

    def _check_exists(self, value, record):
        if value is None:
            return
        comodel = record.env[self.comodel_name]
        record.env.cr.execute(
            SQL("SELECT 1 FROM %s WHERE id = %s", SQL.identifier(comodel._table), value)
        )
        if not record.env.cr.rowcount:
            raise ValidationError(
                record.env._(
                    "%(field)s: the %(model)s #%(id)s does not exist.",
                    field=self._description_string(record.env),
                    model=comodel._description,
                    id=value,
                )
            )


def install_link_triggers(cr):
    """The delete trigger of every link (LINKS) whose tables exist, and the foreign keys of
    earlier versions dropped. Run by the models' init (each creates some of the tables; the
    last one's has them all)."""
    for relation, column, table, ondelete in LINKS:
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
            cr.execute("DELETE FROM ir_model_constraint WHERE name = %s AND type = 'f'", [name])
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
            _DELETE_LINKS.format(
                function=function,
                table=table,
                action=_ACTIONS[ondelete].format(relation=relation, column=column),
            )
        )
