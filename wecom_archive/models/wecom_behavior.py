"""Sensitive behaviours (敏感行为) as cases: what a message does (a red packet, a contact card
or a file sent to a customer, a message to a customer who refused archiving), checked in the
pipeline's scan of each stored batch; and deletions between an employee and a customer,
recorded where the follow relation ends (the directory sync, WeCom's callbacks).
The rules are plain lib.behaviors objects, built once per worker like the word matcher."""

from odoo import api, fields, models, tools

from ..lib import behaviors as lib
from ..lib.normalize import conversation_key, id_kind
from .wecom_message import _ms_to_datetime
from .wecom_violation import SIDE_OF

# the message types each message behaviour looks at: any other message is skipped at once
_TYPES = {
    "redpacket": frozenset(lib.MONEY_TYPES),
    "card": frozenset({"card"}),
    "file": frozenset({"file"}),
}


class WecomKeywordRule(models.Model):
    _inherit = "wecom.keyword.rule"

    @api.model
    @tools.ormcache("company_id")
    def _behaviors(self, company_id):
        """The company's active behaviour rules, as lib.behaviors.Behavior (cleared with the
        word matcher whenever a rule changes)."""
        rules = self.sudo().search(
            [
                ("company_id", "=", company_id),
                ("rule_type", "=", "behavior"),
                ("behavior", "!=", False),
            ]
        )
        return tuple(rule._as_behavior() for rule in rules)

    def _as_behavior(self):
        return lib.Behavior(
            self._as_rule(),
            self.behavior,
            min_amount=round((self.behavior_min_amount or 0) * 100),
            max_file_size=round((self.behavior_max_file_mb or 0) * 1024 * 1024),
            file_exts=lib.file_exts(self.behavior_file_exts),
        )


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    @api.model
    def _scan_rows(self, corp, stored, rules=None):
        """The word rules' case rows and the behaviour rules': _scan records them together."""
        return super()._scan_rows(corp, stored, rules=rules) + self._scan_behaviors(
            corp, stored, rules=rules
        )

    @api.model
    def _scan_behaviors(self, corp, stored, rules=None):
        """The behaviour case rows of newly stored messages (as _record_cases takes them):
        one per message and rule."""
        wanted = set(rules.ids) if rules is not None else None
        behaviors = [
            behavior
            for behavior in self.env["wecom.keyword.rule"]._behaviors(corp.company_id.id)
            if behavior.kind in lib.MESSAGE_BEHAVIORS
            and (wanted is None or behavior.rule.id in wanted)
        ]
        if not behaviors or not stored:
            return []
        types = frozenset().union(*(_TYPES.get(behavior.kind, ()) for behavior in behaviors))
        refused = {}
        if any(behavior.kind == "refused_consent" for behavior in behaviors):
            # the pipeline wrote the batch's consents (in SQL) before the scan
            self.env.cr.execute(
                """SELECT external_userid, consent_time FROM wecom_contact
                    WHERE corp_id = %s AND consent_status = 'disagree'""",
                [corp.id],
            )
            refused = {
                external: int(when.timestamp() * 1000) if when else 0
                for external, when in self.env.cr.fetchall()
            }
        rows = []
        candidates = lib.by_sent_kind(behaviors)
        for message_id, message, (chat_id, member_ids, department_ids) in stored:
            if not chat_id or not (
                message.msgtype in types
                or (refused and not refused.keys().isdisjoint(message.tolist))
                or message.sender in refused
            ):
                continue
            chat_kind = conversation_key(message.roomid, message.sender, message.tolist)[0]
            side = SIDE_OF[id_kind(message.sender)]
            for finding in lib.scan(
                candidates[lib.sent_kind(message, side)],
                message,
                chat_kind=chat_kind,
                sender_side=side,
                member_ids=frozenset(member_ids),
                department_ids=frozenset(department_ids),
                refused=refused,
            ):
                rows.append(
                    {
                        "name": f"cb{message.msgtime}-{message_id}-{finding.rule_id}",
                        "message_id": message_id,
                        "rule_id": finding.rule_id,
                        "sender": message.sender,
                        "sender_role": side,
                        "receivers": " ".join(message.tolist),
                        "msgtime": _ms_to_datetime(message.msgtime),
                        "chat_kind": chat_kind,
                        "content": (message.text or "").replace("\x00", "") or None,
                        "words_hit": finding.what,
                        "customer": finding.customer,
                        "member_ids": member_ids,
                        "chat_id": chat_id,
                    }
                )
        return self._behavior_case_rows(corp, rows)

    @api.model
    def _record_behavior_cases(self, corp, rows):
        """_record_cases for behaviour rows (_behavior_case_rows)."""
        return self._record_cases(self._behavior_case_rows(corp, rows))

    @api.model
    def _behavior_case_rows(self, corp, rows):
        """Behaviour rows with the corp and the kind (_record_cases adds the rule's category
        and severity, and the record of the customer from ``customer``)."""
        company_id = corp.company_id.id
        for row in rows:
            row.update(company_id=company_id, corp_id=corp.id, kind="behavior")
        return rows

    @api.model
    def _record_deletions(self, follows):
        """Record the deletion cases of follow relations that just ended: "the customer
        deleted the employee" when WeCom's callback said so (removed_by customer), else "the
        employee deleted the customer" (the callback said so, or the directory sync found the
        customer gone from the employee's list: WeCom keeps a customer who deleted the
        employee in that list). Set-based; a relation ended once is recorded once."""
        rows_by_corp = {}
        for corp in follows.corp_id:
            rules = [
                behavior
                for behavior in self.env["wecom.keyword.rule"]._behaviors(corp.company_id.id)
                if behavior.kind in lib.DELETION_BEHAVIORS
            ]
            items = follows.filtered(lambda follow, corp=corp: follow.corp_id == corp)
            if not rules or not items:
                continue
            self.env.cr.execute(
                """SELECT wecom_member_id, array_agg(wecom_department_id)
                     FROM wecom_department_wecom_member_rel
                    WHERE wecom_member_id = ANY(%s) GROUP BY wecom_member_id""",
                [items.member_id.ids],
            )
            departments = dict(self.env.cr.fetchall())
            env = self._wecom_env()
            rows = rows_by_corp.setdefault(corp, [])
            for follow in items:
                by = follow.removed_by or "member"
                member, contact = follow.member_id, follow.contact_id
                when = follow.removed_on or fields.Datetime.now()
                for rule_id in lib.deletion_rules(
                    rules, by, member.id, departments.get(member.id) or []
                ):
                    parties = (member.userid, contact.external_userid)
                    sentence = (
                        env._(
                            "%(member)s deleted the customer %(customer)s",
                            member=member.name or member.userid,
                            customer=contact.name or contact.external_userid,
                        )
                        if by == "member"
                        else env._(
                            "The customer %(customer)s deleted %(member)s",
                            member=member.name or member.userid,
                            customer=contact.name or contact.external_userid,
                        )
                    )
                    rows.append(
                        {
                            "name": f"cd{follow.id}-{int(when.timestamp())}-{rule_id}",
                            "rule_id": rule_id,
                            "sender": parties[0] if by == "member" else parties[1],
                            "sender_role": "member" if by == "member" else "customer",
                            "receivers": parties[1] if by == "member" else parties[0],
                            "msgtime": when,
                            "chat_kind": "external",
                            "content": sentence,
                            "words_hit": lib.BEHAVIORS[
                                "member_deleted_customer"
                                if by == "member"
                                else "customer_deleted_member"
                            ],
                            "customer": "",
                            "contact_id": contact.id,
                            "member_id": member.id,
                            "member_ids": [member.id],
                        }
                    )
        return [
            case_id
            for corp, rows in rows_by_corp.items()
            for case_id in self._record_behavior_cases(corp, rows)
        ]


class WecomContactFollow(models.Model):
    _inherit = "wecom.contact.follow"

    def write(self, vals):
        ended = self.browse()
        if vals.get("state") == "former":
            ended = self.filtered(lambda follow: follow.state == "current")
        result = super().write(vals)
        if ended:
            self.env["wecom.violation"]._record_deletions(ended)
        return result
