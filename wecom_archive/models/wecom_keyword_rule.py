import re

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..lib.behaviors import BEHAVIORS, split_items
from ..lib.keywords import CHAT_KINDS, Matcher, Rule, split_words

SIDES = [("member", "Member"), ("customer", "Customer"), ("both", "Both")]
SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
# What a rule inspects; each hit of any of them is a case (wecom.violation) of that kind.
RULE_TYPES = [
    ("keyword", "Sensitive Words"),
    ("timeout", "Reply Timeout"),
    ("behavior", "Sensitive Behaviour"),
]
# The sensitive behaviours a rule of type "behavior" watches (lib.behaviors.BEHAVIORS).
BEHAVIOR_KINDS = [
    ("redpacket", "Red Packet Sent to a Customer"),
    ("card", "Contact Card Sent to a Customer"),
    ("file", "File Sent to a Customer"),
    ("refused_consent", "Customer Who Refused Archiving Still Messaged"),
    ("member_deleted_customer", "Employee Deleted a Customer"),
    ("customer_deleted_member", "Customer Deleted the Employee"),
]
assert {code for code, _label in BEHAVIOR_KINDS} == BEHAVIORS.keys()


class WecomKeywordRule(models.Model):
    """An inspection rule (质检规则): what to watch for — sensitive words, a reply timeout or
    a sensitive behaviour — and whom it applies to. Every kind shares the scope (departments
    with their subdepartments, members; none = everyone archived), the severity and the
    alert recipients; each hit is a case of the rule's kind."""

    _name = "wecom.keyword.rule"
    _description = "Inspection Rule"
    _order = "sequence, id"

    name = fields.Char(required=True)
    rule_type = fields.Selection(
        RULE_TYPES, "Rule Type", required=True, default="keyword", index=True
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    category = fields.Char(required=True, help="e.g. 私下交易监控, 辱骂客户, 飞单")
    words_input = fields.Text(
        "Sensitive Words", help="Separated by commas, ',' or '，'; blanks and duplicates dropped."
    )
    words = fields.Text(compute="_compute_words", store=True, help="The normalised words.")
    word_count = fields.Integer(compute="_compute_words", store=True)
    patterns = fields.Text("Regular Expressions", help="One Python regular expression per line.")
    # built-in detectors, besides words and patterns (sensitive-word rules)
    detector_ids = fields.Many2many(
        "wecom.detector",
        string="Built-in Detectors",
        help="Also hit on what these find: mobile numbers, bank cards, ID numbers…",
    )
    allowed_domains = fields.Text(
        "Allowed Domains",
        help="For the link detector: links to these domains (and their subdomains) are not "
        "hits. One per line, or separated by commas.",
    )
    # sensitive behaviours
    behavior = fields.Selection(BEHAVIOR_KINDS, "Behaviour")
    behavior_min_amount = fields.Float(
        "Minimum Amount (¥)", help="Red packets of at least this amount; 0: any amount."
    )
    behavior_max_file_mb = fields.Float(
        "Files Larger Than (MB)", help="Files above this size; 0: no size limit."
    )
    behavior_file_exts = fields.Char(
        "File Types",
        help="Files of these extensions, e.g. exe, apk, zip. No size and no type: "
        "every file sent to a customer.",
    )
    department_ids = fields.Many2many(
        "wecom.department", string="Departments", help="Subdepartments included."
    )
    member_ids = fields.Many2many("wecom.member", string="Members")
    side = fields.Selection(SIDES, string="Messages From", default="both", required=True)
    watch_external = fields.Boolean("External Chats", default=True)
    watch_internal = fields.Boolean("Internal Chats", default=True)
    watch_group = fields.Boolean("Group Chats", default=True)
    severity = fields.Selection(SEVERITIES, default="medium", required=True)
    notify_user_ids = fields.Many2many("res.users", string="Notify")
    notify_leaders = fields.Boolean(
        "Alert Department Leaders in WeCom",
        help="Send an application message to the leaders (部门负责人) of the departments of "
        "the archived members in the chat.",
    )
    notify_member_ids = fields.Many2many(
        "wecom.member",
        "wecom_keyword_rule_notify_member_rel",
        "rule_id",
        "member_id",
        string="Alert Members in WeCom",
        help="Members who get an application message for every batch of hits.",
    )

    @api.depends("words_input")
    def _compute_words(self):
        for rule in self:
            words = split_words(rule.words_input)
            rule.words = ",".join(words)
            rule.word_count = len(words)

    @api.constrains("patterns")
    def _check_patterns(self):
        for rule in self:
            for line in rule._pattern_list():
                try:
                    re.compile(line)
                except re.error as error:
                    raise ValidationError(
                        self.env._(
                            "Invalid regular expression %(pattern)s: %(error)s",
                            pattern=line,
                            error=error,
                        )
                    ) from None

    @api.constrains("rule_type", "words_input", "patterns", "detector_ids")
    def _check_something_to_watch(self):
        for rule in self.filtered(lambda rule: rule.rule_type == "keyword"):
            if not rule.word_count and not rule._pattern_list() and not rule.detector_ids:
                raise ValidationError(
                    self.env._("A rule needs sensitive words, a pattern or a detector.")
                )

    def _pattern_list(self):
        return [line.strip() for line in (self.patterns or "").splitlines() if line.strip()]

    # Every worker builds the automaton once and reuses it; any change of a rule clears
    # the registry cache, which other workers see through Odoo's cache signaling.
    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def action_scan_history(self):
        """Offer to scan the archived history against these rules."""
        return {
            "type": "ir.actions.act_window",
            "res_model": "wecom.rescan",
            "view_mode": "form",
            "target": "new",
            "context": {"default_rule_ids": self.ids, "default_company_id": self.company_id.id},
        }

    @api.model
    @tools.ormcache("company_id")
    def _matcher(self, company_id):
        rules = self.sudo().search([("company_id", "=", company_id), ("rule_type", "=", "keyword")])
        return Matcher([rule._as_rule() for rule in rules])

    def _scope_members(self):
        """The archived members the rule applies to, as they are now (the members, and the
        members of the departments with their subdepartments), or None: everyone. A rule
        whose departments and members are all gone (archived) applies to nobody."""
        self.ensure_one()
        if not self._scoped():
            return None
        members = self.member_ids
        if self.department_ids:
            members |= (
                self.env["wecom.member"]
                .with_context(active_test=False)
                .search([("department_ids", "child_of", self.department_ids.ids)])
            )
        return members

    def _scoped(self):
        """Whether the rule names departments or members, archived ones included."""
        named = self.with_context(active_test=False)
        return bool(named.department_ids or named.member_ids)

    def _as_rule(self):
        kinds = {
            "external": self.watch_external,
            "internal": self.watch_internal,
            "group": self.watch_group,
        }
        departments = (
            self.env["wecom.department"].search([("id", "child_of", self.department_ids.ids)])
            if self.department_ids
            else self.department_ids
        )
        return Rule(
            self.id,
            words=tuple(split_words(self.words)),
            patterns=tuple(self._pattern_list()),
            side=self.side,
            chat_kinds=frozenset(kind for kind in CHAT_KINDS if kinds[kind]),
            member_ids=frozenset(self.member_ids.ids),
            department_ids=frozenset(departments.ids),
            detectors=tuple(sorted(self.detector_ids.mapped("code"))),
            allowed_domains=tuple(sorted(split_items(self.allowed_domains))),
            scoped=self._scoped(),
        )
