"""Reply timeouts (超时未回复): the open waits of the chats a timeout rule watches, kept by
the pipeline in each batch's transaction, and the job that turns the waits past their
deadline into cases (wecom.violation of kind 'timeout')."""

import logging
from collections import defaultdict
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..lib import cards, pgarray
from ..lib.normalize import conversation_key
from ..lib.stats import NOT_COUNTED_TYPES, counted
from ..lib.timeouts import (
    DEFAULT_NO_REPLY_WORDS,
    Deadlines,
    Openers,
    fold,
    no_reply_words,
    waited_minutes,
    waited_seconds,
)
from .wecom_corp import PULL_LOCK
from .wecom_message import _ms_to_datetime
from .wecom_violation import NOTIFIED_CASES

_logger = logging.getLogger(__name__)

# The archive is complete up to its latest message less this: messages of different chats
# reach it slightly out of time order.
LATE_MARGIN = timedelta(minutes=2)
# A wait older than this is given up (its case, if any, stays); a rule created or changed
# finds the waits open in the messages of this last period.
WINDOW = timedelta(days=30)
REBUILD_WINDOW = timedelta(days=7)
# The chat kinds a timeout rule may watch, and the rule's field that switches each on.
WATCHED_KINDS = {"external": "watch_external", "group": "watch_group"}
# The rule fields whose change makes the rule's open waits be found again.
REBUILD_FIELDS = frozenset(
    {
        "rule_type",
        "active",
        "company_id",
        "department_ids",
        "member_ids",
        "watch_external",
        "watch_group",
        "no_reply_words",
    }
)


class WecomKeywordRule(models.Model):
    _inherit = "wecom.keyword.rule"

    timeout_value = fields.Integer(
        "Reply Within",
        default=30,
        help="A customer message not answered within this much working time is a timeout.",
    )
    timeout_unit = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours")], "Unit", default="minutes"
    )
    timeout_minutes = fields.Integer(compute="_compute_timeout_minutes", store=True)
    no_reply_words = fields.Text(
        "Words Needing No Reply",
        default=DEFAULT_NO_REPLY_WORDS,
        help="A customer message that is only one of these words (punctuation aside) does "
        "not wait for an answer. Separated by commas.",
    )
    notify_employee = fields.Boolean(
        "Alert the Employee in WeCom",
        help="The employee who left the customer waiting gets an application message too.",
    )

    @api.depends("timeout_value", "timeout_unit")
    def _compute_timeout_minutes(self):
        for rule in self:
            factor = 60 if rule.timeout_unit == "hours" else 1
            rule.timeout_minutes = (rule.timeout_value or 0) * factor

    @api.constrains("rule_type", "timeout_value")
    def _check_timeout(self):
        for rule in self.filtered(lambda rule: rule.rule_type == "timeout"):
            if rule.timeout_value <= 0:
                raise ValidationError(self.env._("A reply timeout must be longer than zero."))

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env["wecom.reply.wait"]._rebuild(rules.filtered(lambda r: r.rule_type == "timeout"))
        return rules

    def write(self, vals):
        was_timeout = self.filtered(lambda rule: rule.rule_type == "timeout")
        result = super().write(vals)
        if REBUILD_FIELDS & set(vals):
            changed = was_timeout | self.filtered(lambda rule: rule.rule_type == "timeout")
            self.env["wecom.reply.wait"]._rebuild(changed)
        return result


def _waited_text(env, minutes):
    """Working minutes as people read a wait (2 h 15 min, 2小时15分钟), in env's language."""
    hours, minutes = divmod(minutes or 0, 60)
    if not hours:
        return env._("%(minutes)s min", minutes=minutes)
    if not minutes:
        return env._("%(hours)s h", hours=hours)
    return env._("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    waited_minutes = fields.Integer(
        "Waited (min)",
        compute="_compute_waited_minutes",
        help="Working minutes the customer waited: until the answer, or so far (up to the "
        "archive's latest message).",
    )
    waited_display = fields.Char(
        "Waited",
        compute="_compute_waited_display",
        help="等待时长 in hours and minutes, as people read it (the minutes: Waited (min)).",
    )
    answered_at = fields.Datetime(
        "Answered At", readonly=True, help="When an employee answered; empty: still waiting."
    )

    @api.depends("kind", "waited_minutes")
    def _compute_waited_display(self):
        for case in self:
            case.waited_display = (
                _waited_text(self.env, case.waited_minutes) if case.kind == "timeout" else False
            )

    @api.depends("kind", "msgtime", "answered_at")
    def _compute_waited_minutes(self):
        """In working time, from the customer's message (the case's) to its answer, or to
        the moment the archive is complete up to (still waiting): computed when read, so
        that nothing rewrites the cases still waiting at each run of the job."""
        cutoffs = {}
        for case in self:
            if case.kind != "timeout" or not case.msgtime:
                case.waited_minutes = 0
                continue
            corp = case.corp_id
            until = case.answered_at
            if not until:
                if corp.id not in cutoffs:
                    cutoffs[corp.id] = self.env["wecom.reply.wait"]._cutoff(corp)
                until = cutoffs[corp.id]
            if not until:
                case.waited_minutes = 0
                continue
            case.waited_minutes = waited_minutes(case.msgtime, until, corp._stat_schedule())

    @api.model
    def _cron_alert(self, limit=5000):
        """The rule's recipients hear of new timeouts as timeouts (who waited, how long),
        one notification per recipient and run; the other cases as before."""
        timeouts = self.search(
            [("alerted", "=", False), ("kind", "=", "timeout")], order="id", limit=limit
        )
        by_user = defaultdict(lambda: self.browse())
        for case in timeouts:
            for user in case.rule_id.notify_user_ids:
                by_user[user] |= case
        for user, cases in by_user.items():
            self._notify_cases(
                user,
                self.env._("Reply timeouts"),
                self.env._("%(count)s customers waited too long for an answer.", count=len(cases)),
                [
                    f"{case.name} · {case.member_id.name or case.member_id.userid or ''} · "
                    f"{case.waited_display}"
                    for case in cases[:NOTIFIED_CASES]
                ],
                len(cases),
            )
        timeouts.alerted = True
        return len(by_user) + super()._cron_alert(limit)

    def _wecom_recipient_map(self):
        """The rule's recipients, and the employee when the rule asks for it."""
        recipients = super()._wecom_recipient_map()
        if not self:
            return recipients
        self.env.cr.execute(
            """SELECT m.userid, array_agg(v.id ORDER BY v.id)
                 FROM wecom_violation v
                 JOIN wecom_keyword_rule r ON r.id = v.rule_id AND r.notify_employee
                 JOIN wecom_member m ON m.id = v.member_id AND m.active
                WHERE v.id = ANY(%s)
                GROUP BY m.userid""",
            [list(self.ids)],
        )
        for userid, ids in self.env.cr.fetchall():
            recipients[userid] = sorted(set(recipients.get(userid, [])) | set(ids))
        return recipients

    def _wecom_alert_text(self, hits):
        if not hits or set(hits.mapped("kind")) != {"timeout"}:
            return super()._wecom_alert_text(hits)
        env = self._wecom_env()
        lines = [
            env._(
                "[Conversation Archive] %(count)s customers waited too long for an answer:",
                count=len(hits),
            )
        ]
        for hit in hits[:5]:
            who = hit.member_id.name or hit.member_id.userid or ""
            lines.append(
                env._(
                    "· %(member)s · %(waited)s: %(text)s",
                    member=who,
                    waited=_waited_text(env, hit.waited_minutes),
                    text=(hit.content or "")[:40],
                )
            )
        if len(hits) > 5:
            lines.append(env._("… and %(more)s more.", more=len(hits) - 5))
        return "\n".join(lines)


class WecomReplyWait(models.Model):
    """The wait of one chat under one timeout rule: its first customer message not answered
    yet by a member the rule applies to (none: nobody waits), and the chat's last message
    folded, which tells a late message from the next one. Written with SQL by the pipeline
    (_upkeep), the rebuild and the job; read by the job only."""

    _name = "wecom.reply.wait"
    _description = "Customer Waiting for an Answer"
    _log_access = False

    rule_id = fields.Many2one("wecom.keyword.rule", required=True, ondelete="cascade")
    conversation_id = fields.Many2one("wecom.conversation", required=True, ondelete="cascade")
    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade")
    since = fields.Datetime(help="The time of the first customer message not answered.")
    # indexed: deleting a message (the retention job) sets it to NULL here, a scan per
    # message without (it changes with ``since``, indexed too: no HOT update lost)
    message_id = fields.Many2one("wecom.message", ondelete="set null", index="btree_not_null")
    last_msgtime = fields.Datetime()
    last_message_id = fields.Integer()
    recorded = fields.Boolean(help="The wait is a timeout case already.")

    _sql_constraints = [
        ("rule_chat_uniq", "unique(rule_id, conversation_id)", "One wait per rule and chat."),
    ]

    def init(self):
        # Rewritten at every batch that touches the chat: room on the page for the new row
        # version (a HOT update, no index entry to add).
        self.env.cr.execute("ALTER TABLE wecom_reply_wait SET (fillfactor = 70)")
        # the job reads the open waits of a rule, oldest first
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS wecom_reply_wait_open_idx
                   ON wecom_reply_wait (rule_id, since) WHERE since IS NOT NULL"""
        )

    # -- what a rule watches -------------------------------------------------------------------
    @api.model
    def _watches(self, corp, rules=None):
        """[(rule, minutes, words, kinds, scope member ids or None)] of the corp's active
        timeout rules (or of ``rules``): words, kinds and scope are frozensets."""
        if rules is None:
            found = self._company_watches(corp.company_id.id)
        else:
            found = self._as_watches(rules)
        # one recordset: the rules' fields are read together (a case names its rule's)
        rules = self.env["wecom.keyword.rule"].sudo().browse([watch[0] for watch in found])
        return [(rule, *watch[1:]) for rule, watch in zip(rules, found, strict=True)]

    @api.model
    @tools.ormcache("company_id")
    def _company_watches(self, company_id):
        """The company's watches as plain values — (rule id, minutes, words, kinds, scope)
        — built once per worker, as the word matcher: cleared with it (the registry cache)
        whenever a rule changes, and whenever a scope may (a member's departments, the
        department tree, a member or department archived or deleted:
        res.users._wecom_scope_changed). Read in the default context
        (the rules' members as every worker reads them, whatever the caller's context)."""
        rules = (
            self.env["wecom.keyword.rule"]
            .sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company_id), ("rule_type", "=", "timeout")])
        )
        return self._as_watches(rules)

    @api.model
    def _as_watches(self, rules):
        watches = []
        for rule in rules.sudo().filtered("active"):
            kinds = frozenset(kind for kind, field in WATCHED_KINDS.items() if rule[field])
            scope = rule._scope_members()
            if kinds and rule.timeout_minutes > 0:
                watches.append(
                    (
                        rule.id,
                        rule.timeout_minutes,
                        no_reply_words(rule.no_reply_words),
                        kinds,
                        None if scope is None else frozenset(scope.ids),
                    )
                )
        return tuple(watches)

    def _chat_members(self, chat_ids):
        """{chat: {member id: userid}} of the archived members of chats."""
        self.env.cr.execute(
            """SELECT r.wecom_conversation_id, m.id, m.userid
                 FROM wecom_conversation_member_rel r
                 JOIN wecom_member m ON m.id = r.wecom_member_id
                WHERE r.wecom_conversation_id = ANY(%s::int[])""",
            [pgarray.literal(chat_ids)],
        )
        members = defaultdict(dict)
        for chat_id, member_id, userid in self.env.cr.fetchall():
            members[chat_id][member_id] = userid
        return members

    @staticmethod
    def _in_scope(members, scope):
        """{member id: userid} of a chat's members a rule applies to."""
        if scope is None:
            return members
        return {member_id: userid for member_id, userid in members.items() if member_id in scope}

    # -- the pipeline's upkeep -----------------------------------------------------------------
    @api.model
    def _upkeep(self, corp, stored):
        """Fold newly stored messages — (message id, lib Message, link) triples — into the
        waits of the chats the corp's timeout rules watch, in the batch's transaction.
        A chat whose new messages all come after its last folded one continues from its
        stored wait; any other (a late batch, a message processed again) is folded again
        from the archive, from its last answer before the earliest new message."""
        watches = self._watches(corp)
        if not watches:
            return
        # a chat's kind is its key's (lib.normalize.conversation_key): worked out once per
        # chat, and a message's time only in the chats watched
        by_chat, kinds = defaultdict(list), {}
        for message_id, message, (chat_id, _members, _departments) in stored:
            if not chat_id or not message.msgtime:
                continue
            kind = kinds.get(chat_id)
            if kind is None:
                kind = kinds[chat_id] = conversation_key(
                    message.roomid, message.sender, message.tolist
                )[0]
            if kind in WATCHED_KINDS and counted(message.action, message.msgtype):
                by_chat[chat_id].append(
                    (
                        _ms_to_datetime(message.msgtime),
                        message_id,
                        message.sender,
                        message.text or "",
                    )
                )
        if not by_chat:
            return
        members = self._chat_members(by_chat)
        # a chat's answerers under each rule, from its few members: the rules whose scope
        # holds each member (not every rule's scope against every chat)
        everyone, rules_of = [], defaultdict(list)
        for index, (_rule, _minutes, _words, _kinds, scope) in enumerate(watches):
            if scope is None:
                everyone.append(index)
            for member_id in scope or ():
                rules_of[member_id].append(index)
        answerers_of = [{} for _watch in watches]  # per rule: {chat: userids}, in chat order
        for chat_id in by_chat:
            chat_members = members.get(chat_id, {})
            found = defaultdict(set)
            for member_id, userid in chat_members.items():
                for index in rules_of.get(member_id, ()):
                    found[index].add(userid)
            if chat_members:
                for index in everyone:
                    found[index] = set(chat_members.values())
            for index, userids in found.items():
                if kinds[chat_id] in watches[index][3]:
                    answerers_of[index][chat_id] = frozenset(userids)
        pairs = {
            (rule.id, chat_id): answerers
            for (rule, *_watch), chats in zip(watches, answerers_of, strict=True)
            for chat_id, answerers in chats.items()
        }
        if not pairs:
            return
        words = {rule.id: rule_words for rule, _m, rule_words, _k, _s in watches}
        old = self._read_waits(list(pairs))
        rows, answers, late = [], [], []
        chats = {}  # chat: (its messages in order, their openers), for every rule
        # the fold of a chat from one state for some answerers and words, for every rule
        # folding the same (rules differing in their delay only)
        folded = {}
        for (rule_id, chat_id), answerers in pairs.items():
            if chat_id not in chats:
                messages = sorted(by_chat[chat_id])
                chats[chat_id] = messages, Openers(messages)
            messages, openers = chats[chat_id]
            before = old.get((rule_id, chat_id))
            if before and messages[0][:2] < before[2:4]:
                late.append((rule_id, chat_id, answerers, messages[0][:2]))
                continue
            state = before[:2] if before and before[0] else None
            key = (chat_id, state, answerers, words[rule_id])
            if key not in folded:
                folded[key] = fold(state, messages, answerers, words[rule_id], openers)
            state, closed = folded[key]
            answers += [(rule_id, chat_id, *answer) for answer in closed]
            recorded = bool(before and state and before[4] and before[1] == state[1])
            rows.append((rule_id, chat_id, *(state or (None, None)), *messages[-1][:2], recorded))
        for rule_id, chat_id, answerers, first in late:
            state, closed, last = self._refold(chat_id, answerers, words[rule_id], first)
            answers += [(rule_id, chat_id, *answer) for answer in closed]
            before = old[rule_id, chat_id]
            recorded = bool(state and before[4] and before[1] == state[1])
            rows.append((rule_id, chat_id, *(state or (None, None)), *last, recorded))
        self._write_waits(corp, rows)
        if answers:
            new = {message_id for message_id, _message, _link in stored}
            self._answered(corp, watches, answers, members, new)

    def _answered(self, corp, watches, answers, members=None, new=()):
        """The waits that closed — (rule, chat, since, message id, answered at, answer
        id) — past their deadline are timeouts (recorded here when the job has not
        recorded them yet: the answer proves the archive reached it); every one answers
        its case. ``members``: the chats' archived members, when the caller has them;
        ``new``: ids of messages just stored, whose waits can have no case but the one
        recorded here (already answered): only the others are looked for."""
        deadlines = Deadlines(corp._stat_schedule())
        by_id = {rule.id: (rule, minutes, scope) for rule, minutes, _w, _k, scope in watches}
        late = []
        for rule_id, chat_id, since, message_id, at, _answer_id in answers:
            rule, minutes, scope = by_id[rule_id]
            if deadlines.is_due(since, at, minutes):
                late.append((rule, scope, chat_id, message_id, at))
        if late:
            self._record(corp, late, members)
        self._answer(
            corp,
            [answer for answer in answers if answer[3] not in new],
            {rule_id: item[1] for rule_id, item in by_id.items()},
            deadlines,
        )

    def _read_waits(self, pairs):
        """{(rule, chat): (since, message id, last time, last id, recorded)}."""
        self.env.cr.execute(
            """SELECT w.rule_id, w.conversation_id, w.since, w.message_id, w.last_msgtime,
                      w.last_message_id, w.recorded
                 FROM unnest(%s::int[], %s::int[]) AS p(rule_id, chat_id)
                 JOIN wecom_reply_wait w
                   ON w.rule_id = p.rule_id AND w.conversation_id = p.chat_id""",
            [
                pgarray.literal(rule_id for rule_id, _c in pairs),
                pgarray.literal(chat_id for _r, chat_id in pairs),
            ],
        )
        return {(row[0], row[1]): tuple(row[2:]) for row in self.env.cr.fetchall()}

    def _read_messages(self, chat_id, after, since=None):
        """The counted messages of a chat after (time, id) ``after`` — or from ``since`` —
        as lib.timeouts.fold takes them, in order (the chat's index on time serves it)."""
        self.env.cr.execute(
            """SELECT msgtime, id, sender, COALESCE(text, ''), msgtype FROM wecom_message
                WHERE conversation_id = %s AND msgtime >= %s AND (msgtime, id) > (%s, %s)
                  AND state = 'done' AND action = 'send'
                ORDER BY msgtime, id""",
            [chat_id, since or after[0], *after],
        )
        return [row[:4] for row in self.env.cr.fetchall() if row[4] not in NOT_COUNTED_TYPES]

    def _refold(self, chat_id, answerers, words, first):
        """(state, answers, last (time, id)) of a chat folded again from the archive, from
        its last answer before (time, id) ``first`` (nobody waited after it), or from
        WINDOW before ``first`` when it has none."""
        self.env.cr.execute(
            """SELECT msgtime, id FROM wecom_message
                WHERE conversation_id = %s AND sender = ANY(%s) AND (msgtime, id) < (%s, %s)
                  AND msgtime IS NOT NULL AND state = 'done' AND action = 'send'
                ORDER BY msgtime DESC, id DESC LIMIT 1""",
            [chat_id, list(answerers), *first],
        )
        answer = self.env.cr.fetchone()
        if answer:
            messages = self._read_messages(chat_id, answer)
        else:
            messages = self._read_messages(chat_id, (first[0] - WINDOW, 0), first[0] - WINDOW)
        state, answers = fold(None, messages, answerers, words)
        return state, answers, messages[-1][:2] if messages else first

    def _write_waits(self, corp, rows):
        """Upsert waits: rows of (rule, chat, since, message id, last time, last id,
        recorded)."""
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(
            """INSERT INTO wecom_reply_wait (rule_id, conversation_id, corp_id, since,
                      message_id, last_msgtime, last_message_id, recorded)
               SELECT r, c, %s, s, m, lt, li, rec
                 FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::int[],
                             %s::timestamp[], %s::int[], %s::bool[])
                      AS t(r, c, s, m, lt, li, rec)
               ON CONFLICT (rule_id, conversation_id) DO UPDATE
                  SET since = EXCLUDED.since, message_id = EXCLUDED.message_id,
                      last_msgtime = EXCLUDED.last_msgtime,
                      last_message_id = EXCLUDED.last_message_id,
                      recorded = EXCLUDED.recorded""",
            [corp.id, *map(pgarray.literal, columns)],
        )
        self.invalidate_model()

    def _answer(self, corp, answers, minutes, deadlines=None):
        """The waits that closed — (rule, chat, since, message id, answered at, answer
        id) — answer their timeout cases. A case whose answer reached the archive only
        after it was recorded, and came in time, is a false positive (closed as such when
        nobody has started on it). ``deadlines``: a lib.timeouts.Deadlines of the corp's
        schedule, to share the spans already worked out."""
        if not answers:
            return
        deadlines = deadlines or Deadlines(corp._stat_schedule())
        columns = list(
            zip(
                *(
                    (rule_id, message_id, at, not deadlines.is_due(since, at, minutes[rule_id]))
                    for rule_id, _chat_id, since, message_id, at, _answer_id in answers
                ),
                strict=True,
            )
        )
        Violation = self.env["wecom.violation"]
        Violation.flush_model()
        # o: the case as it was (v is as it becomes), to tell the cases closed here
        self.env.cr.execute(
            """UPDATE wecom_violation v
                  SET answered_at = a.at,
                      state = CASE WHEN a.in_time AND v.state = 'new'
                                   THEN 'false_positive' ELSE v.state END,
                      review_date = CASE WHEN a.in_time AND v.state = 'new'
                                         THEN now() at time zone 'UTC' ELSE v.review_date END
                 FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::bool[])
                      AS a(rule_id, message_id, at, in_time),
                      wecom_violation o
                WHERE v.message_id = a.message_id AND v.rule_id = a.rule_id
                  AND v.kind = 'timeout' AND (v.answered_at IS NULL OR v.answered_at > a.at)
                  AND o.id = v.id
            RETURNING v.id, a.at, a.in_time AND o.state = 'new'""",
            [pgarray.literal(column) for column in columns],
        )
        closed = {case_id: at for case_id, at, closed in self.env.cr.fetchall() if closed}
        Violation.invalidate_model()
        if closed:
            self._log_closed(corp, closed)

    def _log_closed(self, corp, closed):
        """One chatter note on each case closed as a false positive by its answer: {case id:
        answered at}. Logged in one batch (no notification: nobody follows a new case)."""
        tz = pytz.timezone(corp._stat_tz())
        bodies = {}
        for case_id, at in closed.items():
            local = pytz.utc.localize(at).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
            bodies[case_id] = Markup("<p>%s</p>") % self.env._(
                "Closed automatically as a false positive: the answer at %(time)s came in "
                "time; it reached the archive after the case was recorded.",
                time=local,
            )
        self.env["wecom.violation"].browse(list(bodies))._message_log_batch(bodies)

    # -- finding the open waits again ----------------------------------------------------------
    @api.model
    def _rebuild(self, rules, window=REBUILD_WINDOW):
        """Find the open waits of ``rules`` again from the archive's messages of the last
        ``window`` (a rule created, or changed in what it watches): their chats' messages
        are folded from the window's start. Under each corp's pipeline lock."""
        Wait = self.sudo()
        rules = rules.sudo()
        if not rules:
            return
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM wecom_reply_wait WHERE rule_id = ANY(%s)", [rules.ids])
        corps = self.env["wecom.corp"].sudo().search([("company_id", "in", rules.company_id.ids)])
        for corp in corps:
            watches = Wait._watches(
                corp, rules.filtered(lambda r, c=corp: r.company_id == c.company_id)
            )
            if not watches:
                continue
            self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PULL_LOCK, corp.id])
            self.env.cr.execute(
                "SELECT max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id]
            )
            latest = self.env.cr.fetchone()[0]
            if not latest:
                continue
            self.env.cr.execute(
                """SELECT m.conversation_id, c.kind, m.msgtime, m.id, m.sender,
                          COALESCE(m.text, ''), m.msgtype
                     FROM wecom_message m JOIN wecom_conversation c ON c.id = m.conversation_id
                    WHERE m.corp_id = %s AND m.msgtime >= %s AND c.kind IN ('external', 'group')
                      AND m.state = 'done' AND m.action = 'send'""",
                [corp.id, latest - window],
            )
            by_chat, kinds = defaultdict(list), {}
            for chat_id, kind, *message, msgtype in self.env.cr.fetchall():
                if msgtype not in NOT_COUNTED_TYPES:
                    kinds[chat_id] = kind
                    by_chat[chat_id].append(tuple(message))
            members = Wait._chat_members(by_chat)
            rows = []
            for chat_id, messages in by_chat.items():
                messages.sort()
                for rule, _minutes, words, rule_kinds, scope in watches:
                    answerers = Wait._in_scope(members.get(chat_id, {}), scope)
                    if kinds[chat_id] not in rule_kinds or not answerers:
                        continue
                    state, _answers = fold(None, messages, set(answerers.values()), words)
                    rows.append(
                        (rule.id, chat_id, *(state or (None, None)), *messages[-1][:2], False)
                    )
            Wait._write_waits(corp, rows)
            self.env.cr.execute(
                """UPDATE wecom_reply_wait w SET recorded = true
                     FROM wecom_violation v
                    WHERE w.rule_id = ANY(%s) AND w.corp_id = %s AND w.since IS NOT NULL
                      AND v.rule_id = w.rule_id AND v.message_id = w.message_id""",
                [rules.ids, corp.id],
            )

    # -- the job -------------------------------------------------------------------------------
    @api.model
    def _cutoff(self, corp):
        """The moment the corp's archive is known to be complete up to: its latest message
        pulled, less LATE_MARGIN (None: nothing pulled yet)."""
        self.env.cr.execute("SELECT max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
        latest = self.env.cr.fetchone()[0]
        return latest and latest - LATE_MARGIN

    @api.model
    def _cron_detect(self):
        """Record the timeouts of every corp (the cron)."""
        for corp in self.env["wecom.corp"].search([]):
            self._detect(corp)

    @api.model
    def _detect(self, corp):
        """Record as cases the waits past their rule's deadline — in working time, up to the
        moment the archive is known to be complete (its latest message, less LATE_MARGIN):
        a reply still on its way cannot be missed, since the archive has not reached the
        deadline until it is pulled past it. Then bring the waiting time of the cases still
        waiting up to that moment. Reads only the open waits. Returns the new case ids."""
        watches = self._watches(corp)
        if not watches:
            return []
        cr = self.env.cr
        self.env.flush_all()
        cutoff = self._cutoff(corp)
        if not cutoff:
            return []
        schedule = corp._stat_schedule()
        # a recorded wait older than WINDOW is given up (its case stays)
        cr.execute(
            "DELETE FROM wecom_reply_wait WHERE corp_id = %s AND since < %s AND recorded",
            [corp.id, cutoff - WINDOW],
        )
        due, wait_ids = [], []  # (rule, scope, chat, message id, None), their waits
        for rule, minutes, _words, _kinds, scope in watches:
            # working time never exceeds wall time: the index gives the candidates
            cr.execute(
                """SELECT id, conversation_id, since, message_id FROM wecom_reply_wait
                    WHERE rule_id = %s AND since IS NOT NULL AND since <= %s AND NOT recorded
                      AND message_id IS NOT NULL""",
                [rule.id, cutoff - timedelta(minutes=minutes)],
            )
            for wait_id, chat_id, since, message_id in cr.fetchall():
                waited = waited_seconds(since, cutoff, schedule)
                if waited >= minutes * 60:
                    due.append((rule, scope, chat_id, message_id, None))
                    wait_ids.append(wait_id)
        if not due:
            return []
        new_ids = self._record(corp, due)
        cr.execute("UPDATE wecom_reply_wait SET recorded = true WHERE id = ANY(%s)", [wait_ids])
        self.invalidate_model()
        return new_ids

    def _record(self, corp, due, members=None):
        """Record timeouts as cases, set-based (wecom.violation._record_cases), counted on
        their chat's day. ``due``: (rule, scope, chat, customer message id, answered at or
        None); ``members``: the chats' archived members (_chat_members), when the caller
        has them. The statement fills in the rule's category and severity, the customer's
        record and the employee's department."""
        cr = self.env.cr
        if members is None:
            members = self._chat_members({chat_id for _r, _s, chat_id, *_rest in due})
        # each customer message with its chat's kind and group owner, in one statement
        pairs = list({(chat_id, message_id) for _r, _s, chat_id, message_id, _a in due})
        cr.execute(
            """SELECT d.chat_id, m.id, m.sender, m.receivers, m.msgtime, m.text,
                      CASE WHEN m.text IS NULL THEN m.body END, c.kind, g.owner_id
                 FROM unnest(%s::int[], %s::int[]) AS d(chat_id, message_id)
                 JOIN wecom_message m ON m.id = d.message_id
                 JOIN wecom_conversation c ON c.id = d.chat_id
                 LEFT JOIN wecom_group g ON g.id = c.group_id""",
            [
                pgarray.literal(chat_id for chat_id, _m in pairs),
                pgarray.literal(message_id for _c, message_id in pairs),
            ],
        )
        # a message without text is named as every list names it ([图片], [文件] 报价单.xlsx…)
        messages = {
            (chat_id, message_id): (
                sender,
                receivers,
                msgtime,
                text or cards.snippet(cards.card(body)),
                kind,
                owner,
            )
            for chat_id, message_id, sender, receivers, msgtime, text, body, kind, owner in (
                cr.fetchall()
            )
        }
        company_id, corp_id = corp.company_id.id, corp.id
        rows = []
        for rule, scope, chat_id, message_id, answered_at in due:
            if (chat_id, message_id) not in messages:
                continue
            sender, receivers, msgtime, content, kind, owner = messages[chat_id, message_id]
            in_scope = sorted(self._in_scope(members.get(chat_id, {}), scope))
            if not in_scope:
                continue
            rows.append(
                {
                    "name": f"ct{msgtime:%Y%m%d%H%M%S}-{message_id}-{rule.id}",
                    "company_id": company_id,
                    "corp_id": corp_id,
                    "message_id": message_id,
                    "rule_id": rule.id,
                    "kind": "timeout",
                    "sender": sender,
                    "sender_role": "customer",
                    "receivers": receivers,
                    "msgtime": msgtime,
                    "chat_kind": kind,
                    "content": content,
                    # the employee: a group's owner if the rule applies to them
                    "member_id": owner if owner in in_scope else in_scope[0],
                    "customer": sender,  # the customer who waited
                    "answered_at": answered_at,
                    "member_ids": in_scope,
                    "chat_id": chat_id,
                }
            )
        new_ids = self.env["wecom.violation"]._record_cases(rows, count=corp)
        self.env["wecom.violation"].invalidate_model()
        return new_ids
