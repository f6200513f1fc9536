"""Legal holds (法律保全): a member's, a customer's, a conversation's or a violation case's
archived messages are kept whatever the retention, and cannot be deleted by hand either,
until the hold is lifted or ends."""

from collections import namedtuple

from odoo import api, fields, models
from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

TARGETS = [
    ("member", "Member"),
    ("contact", "Customer"),
    ("conversation", "Conversation"),
    ("violation", "Violation Case"),
]
TARGET_FIELDS = {
    "member": "member_id",
    "contact": "contact_id",
    "conversation": "conversation_id",
    "violation": "violation_id",
}
# What the holds in force keep, as the retention job and the guards test a message against:
# its members, its conversation, its sender (a held customer's), and the held cases' messages.
Held = namedtuple("Held", "members chats senders messages")
# A hold protects through its end date (UTC), and until lifted when it has none.
_IN_FORCE = "h.active AND (h.end_date IS NULL OR h.end_date >= (now() at time zone 'UTC')::date)"


def held_condition(held, alias="m"):
    """SQL: the message ``alias`` is kept by the holds ``held`` (never NULL; only the kinds
    of hold in force are tested, none when there is none)."""
    m = SQL.identifier(alias)
    tests = []
    if held.messages:
        tests.append(SQL("%s.id = ANY(%s)", m, held.messages))
    if held.chats:
        tests.append(SQL("%s.conversation_id = ANY(%s)", m, held.chats))
    if held.senders:
        tests.append(SQL("%s.sender = ANY(%s)", m, held.senders))
    if held.members:
        tests.append(
            SQL(
                """EXISTS (SELECT 1 FROM wecom_message_member_rel held_rel
                            WHERE held_rel.wecom_message_id = %s.id
                              AND held_rel.wecom_member_id = ANY(%s))""",
                m,
                held.members,
            )
        )
    if not tests:
        return SQL("false")
    return SQL("COALESCE(%s, false)", SQL(" OR ").join(tests))


class WecomLegalHold(models.Model):
    """A legal hold on archived data: who placed it, why, when, until when."""

    _name = "wecom.legal.hold"
    _description = "Legal Hold"
    _order = "placed_on desc, id desc"

    name = fields.Char("Held Data", compute="_compute_name", store=True)
    target_type = fields.Selection(TARGETS, "Holds", required=True, default="member")
    member_id = fields.Many2one("wecom.member", "Member", index="btree_not_null")
    contact_id = fields.Many2one("wecom.contact", "Customer", index="btree_not_null")
    conversation_id = fields.Many2one("wecom.conversation", "Conversation", index="btree_not_null")
    violation_id = fields.Many2one("wecom.violation", "Violation Case", index="btree_not_null")
    corp_id = fields.Many2one(
        "wecom.corp", compute="_compute_corp_id", store=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    reason = fields.Text(required=True)
    user_id = fields.Many2one(
        "res.users", "Placed By", required=True, readonly=True, default=lambda self: self.env.user
    )
    placed_on = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    end_date = fields.Date(
        "Ends On",
        help="Optional: the hold keeps the data through this day (UTC), and until lifted "
        "when empty.",
    )
    active = fields.Boolean(default=True, readonly=True)
    lifted_by = fields.Many2one("res.users", readonly=True)
    lifted_on = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("in_force", "In Force"), ("ended", "Ended"), ("lifted", "Lifted")],
        compute="_compute_state",
    )
    member_ids = fields.Many2many(
        "wecom.member",
        "wecom_legal_hold_member_rel",
        "hold_id",
        "member_id",
        string="Members Concerned",
        compute="_compute_member_ids",
        compute_sudo=True,
        store=True,
        help="The archived members of the held data: an archive admin reads the holds of "
        "the members in their scope.",
    )

    def _target(self):
        self.ensure_one()
        return self[TARGET_FIELDS[self.target_type]] if self.target_type else self.browse()

    @api.depends("target_type", "member_id", "contact_id", "conversation_id", "violation_id")
    def _compute_name(self):
        labels = dict(self._fields["target_type"]._description_selection(self.env))
        for hold in self:
            target = hold.sudo()._target()
            hold.name = f"{labels[hold.target_type]}: {target.display_name}" if target else False

    @api.depends("member_id", "contact_id", "conversation_id", "violation_id")
    def _compute_corp_id(self):
        for hold in self:
            hold.corp_id = hold.sudo()._target().corp_id if hold.target_type else False

    @api.depends(
        "member_id",
        "contact_id.follow_ids.member_id",
        "contact_id.conversation_ids.member_ids",
        "conversation_id.member_ids",
        "violation_id.member_ids",
    )
    def _compute_member_ids(self):
        for hold in self:
            members = hold.member_id
            if hold.target_type == "contact":
                contact = hold.contact_id
                members = contact.follow_ids.member_id | contact.conversation_ids.member_ids
            elif hold.target_type == "conversation":
                members = hold.conversation_id.member_ids
            elif hold.target_type == "violation":
                members = hold.violation_id.member_ids
            hold.member_ids = members

    @api.depends("active", "end_date")
    def _compute_state(self):
        today = fields.Datetime.now().date()
        for hold in self:
            if not hold.active:
                hold.state = "lifted"
            elif hold.end_date and hold.end_date < today:
                hold.state = "ended"
            else:
                hold.state = "in_force"

    @api.constrains("target_type", "member_id", "contact_id", "conversation_id", "violation_id")
    def _check_target(self):
        for hold in self:
            if not hold._target():
                raise ValidationError(self.env._("Choose what the legal hold keeps."))

    # -- placing, changing, lifting: always logged ---------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # who and when are the system's to record
            vals.update(user_id=self.env.uid, placed_on=fields.Datetime.now(), active=True)
            for target_type, field in TARGET_FIELDS.items():
                if vals.get("target_type") != target_type:
                    vals.pop(field, None)
        holds = super().create(vals_list)
        for hold in holds:
            hold._target().check_access("read")
            self.env["wecom.access.log"]._log(
                "legal_hold", hold._target(), detail=hold._log_detail()
            )
        return holds

    def write(self, vals):
        if set(vals) - {"end_date", "reason"}:
            raise UserError(
                self.env._("A legal hold is changed only by its end date and reason, or lifted.")
            )
        if any(not hold.active for hold in self):
            raise UserError(self.env._("A lifted legal hold cannot be changed."))
        result = super().write(vals)
        for hold in self:
            self.env["wecom.access.log"]._log(
                "legal_hold",
                hold._target(),
                detail=self.env._("Changed: %(detail)s", detail=hold._log_detail()),
            )
        return result

    def unlink(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(self.env._("A legal hold is never deleted: lift it instead."))
        return super().unlink()

    def _log_detail(self):
        self.ensure_one()
        if self.end_date:
            return self.env._(
                "%(reason)s (until %(end)s)", reason=self.reason, end=self.end_date.isoformat()
            )
        return self.reason

    def action_lift(self):
        """Lift the holds: their data follows the retention again."""
        for hold in self.filtered("active"):
            super(WecomLegalHold, hold).write(
                {"active": False, "lifted_by": self.env.uid, "lifted_on": fields.Datetime.now()}
            )
            self.env["wecom.access.log"]._log(
                "legal_hold_lifted", hold._target(), detail=hold.reason
            )

    def action_archive(self):
        self.action_lift()

    def action_unarchive(self):
        raise UserError(self.env._("A lifted legal hold stays lifted: place a new one."))

    # -- what the holds in force keep --------------------------------------------------------
    @api.model
    def _held(self):
        """The holds in force as the arrays held_condition() tests a message against."""
        self.flush_model()
        self.env["wecom.violation"].flush_model(["message_id"])
        self.env.cr.execute(
            SQL(
                """SELECT array_agg(DISTINCT h.member_id) FILTER (WHERE h.member_id IS NOT NULL),
                          array_agg(DISTINCT h.conversation_id)
                              FILTER (WHERE h.conversation_id IS NOT NULL),
                          array_agg(DISTINCT h.contact_id) FILTER (WHERE h.contact_id IS NOT NULL),
                          array_agg(DISTINCT v.message_id) FILTER (WHERE v.message_id IS NOT NULL)
                     FROM wecom_legal_hold h
                     LEFT JOIN wecom_violation v ON v.id = h.violation_id
                    WHERE %s""",
                SQL(_IN_FORCE),
            )
        )
        members, chats, contacts, messages = (ids or [] for ids in self.env.cr.fetchone())
        senders = []
        if contacts:
            # a held customer's chats: theirs, and the group chats they are or were in
            self.env.cr.execute(
                """SELECT array_agg(DISTINCT external_userid) FROM wecom_contact
                    WHERE id = ANY(%(contacts)s)""",
                {"contacts": contacts},
            )
            senders = self.env.cr.fetchone()[0] or []
            self.env.cr.execute(
                """SELECT id FROM wecom_conversation WHERE contact_id = ANY(%(contacts)s)
                   UNION
                   SELECT c.id FROM wecom_conversation c
                     JOIN wecom_group_member line ON line.group_id = c.group_id
                    WHERE line.contact_id = ANY(%(contacts)s) OR line.party = ANY(%(senders)s)""",
                {"contacts": contacts, "senders": senders},
            )
            chats = sorted({*chats, *(row[0] for row in self.env.cr.fetchall())})
        return Held(members, chats, senders, messages)

    @api.model
    def _held_message_ids(self, message_ids):
        """The ids among ``message_ids`` that a hold in force keeps."""
        if not message_ids:
            return set()
        self.env["wecom.message"].flush_model(["conversation_id", "sender", "member_ids"])
        self.env.cr.execute(
            SQL(
                "SELECT m.id FROM wecom_message m WHERE m.id = ANY(%s) AND %s",
                list(message_ids),
                held_condition(self._held()),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _check_not_held(self, records):
        """Refuse to delete ``records`` (held data, or what a hold names) while held."""
        if not records or self.env.context.get(MODULE_UNINSTALL_FLAG):
            return
        self.flush_model()
        if records._name == "wecom.message":
            held = bool(self._held_message_ids(records.ids))
        else:
            field = {
                "wecom.corp": "corp_id",
                "wecom.member": "member_id",
                "wecom.contact": "contact_id",
                "wecom.conversation": "conversation_id",
                "wecom.violation": "violation_id",
            }[records._name]
            in_force = [
                "|",
                ("end_date", "=", False),
                ("end_date", ">=", fields.Datetime.now().date()),
            ]
            domain = [(field, "in", records.ids), *in_force]
            held = bool(self.sudo().search_count(domain, limit=1))
            if records._name == "wecom.violation" and not held:
                held = bool(self._held_message_ids(records.sudo().message_id.ids))
        if held:
            raise UserError(
                self.env._("Data under a legal hold cannot be deleted until the hold is lifted.")
            )


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    legal_hold = fields.Boolean(
        compute="_compute_legal_hold",
        search="_search_legal_hold",
        help="A legal hold keeps this message: no retention and no one deletes it.",
    )

    def _compute_legal_hold(self):
        held = self.env["wecom.legal.hold"]._held_message_ids(self.ids)
        for message in self:
            message.legal_hold = message.id in held

    def _search_legal_hold(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the legal hold."))
        held = SQL(
            "(SELECT m.id FROM wecom_message m WHERE %s)",
            held_condition(self.env["wecom.legal.hold"]._held()),
        )
        return [("id", "in" if (operator == "=") == value else "not in", held)]

    def unlink(self):
        # even the pipeline's and the retention job's deletions stop at held messages
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    def unlink(self):
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomConversation(models.Model):
    _inherit = "wecom.conversation"

    def unlink(self):
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomMember(models.Model):
    _inherit = "wecom.member"

    def unlink(self):
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomContact(models.Model):
    _inherit = "wecom.contact"

    def unlink(self):
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    def unlink(self):
        self.env["wecom.legal.hold"]._check_not_held(self)
        return super().unlink()


class WecomKeywordRule(models.Model):
    _inherit = "wecom.keyword.rule"

    def unlink(self):
        # a rule's violation cases go with it
        violations = self.env["wecom.violation"].sudo().search([("rule_id", "in", self.ids)])
        self.env["wecom.legal.hold"]._check_not_held(violations)
        return super().unlink()


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def unlink(self):
        # the files of held messages, and of the media inside them
        archived = self.sudo().filtered(
            lambda a: a.res_model in ("wecom.message", "wecom.message.media") and a.res_id
        )
        if archived and not self.env.context.get(MODULE_UNINSTALL_FLAG):
            media = self.env["wecom.message.media"].sudo()
            message_ids = {a.res_id for a in archived if a.res_model == "wecom.message"}
            parts = media.browse(
                [a.res_id for a in archived if a.res_model == "wecom.message.media"]
            ).exists()
            messages = self.env["wecom.message"].browse(message_ids).exists() | parts.message_id
            self.env["wecom.legal.hold"]._check_not_held(messages)
        return super().unlink()
