"""存档健康 (Archive Health): why an archive is empty or incomplete, and what fixes it.

One screen query, ``wecom.health.health(corp_id)``, run as the user: the record rules apply,
so an archive admin's numbers count the members, messages, media and customers of their
scope, as every other screen does. Each count is one grouped query served by an index:
the records that went wrong are few, and partial indexes hold exactly them (the failed
messages, the media that failed or could not be verified, the customers who refused
archiving), so nothing scans the message table. Messages per day come from the daily
statistics. ``health_action`` runs the action that fixes a problem, or opens its rows."""

from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.sql import create_index

DAYS = 30  # the daily chart's days
TOP_REASONS = 3  # error texts shown per problem
FAILED_STATES = ("no_key", "decrypt_error", "parse_error")
MEDIA_BAD = ("failed", "too_large")
QUIET_HOURS = 24  # the newest archived message is older than this: say so
SEVERITY = {"danger": 0, "warning": 1, "info": 2}
MANAGER = "wecom_archive.group_wecom_manager"
SUPER = "wecom_archive.group_wecom_archive_super"

# A media file that went wrong: not downloaded, or downloaded but checked against nothing.
_MEDIA_DOMAIN = [
    "|",
    ("media_state", "in", list(MEDIA_BAD)),
    "&",
    ("media_state", "=", "done"),
    ("media_check", "=", "none"),
]
_MEDIA_INDEX_WHERE = (
    "media_state IN ('failed', 'too_large') OR (media_state = 'done' AND media_check = 'none')"
)


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    archive_seats = fields.Integer(
        "Archive Seats",
        help="授权人数: the seats bought for 会话内容存档 (已开启 n/m under 管理工具 → "
        "会话内容存档). Archive Health warns when the archive scope (开启范围) has "
        "more members: some of their chats are then not archived.",
    )
    archive_scope_count = fields.Integer(
        "Members in Archive Scope",
        readonly=True,
        copy=False,
        help="The members WeCom listed in the archive scope (开启范围) at the last directory sync.",
    )
    archive_scope_unsynced = fields.Text(
        "Archive Scope Members Not in the Directory",
        readonly=True,
        copy=False,
        help="The UserIDs in the archive scope that the directory sync did not return (the "
        "contacts Secret's visible range leaves them out), space separated.",
    )

    def _write_archive_status(self, members, permit, now):
        super()._write_archive_status(members, permit, now)
        unsynced = " ".join(sorted(set(permit) - set(members))) or False
        if (self.archive_scope_count, self.archive_scope_unsynced) != (len(permit), unsynced):
            corp_sudo = self.sudo()
            corp_sudo.write(
                {"archive_scope_count": len(permit), "archive_scope_unsynced": unsynced}
            )


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    def init(self):
        super().init()
        # Archive Health counts the media that went wrong: a few rows of millions.
        create_index(
            self.env.cr,
            "wecom_message_media_problem_idx",
            self._table,
            ["corp_id", "media_state"],
            where=_MEDIA_INDEX_WHERE,
        )


class WecomMessageMedia(models.Model):
    _inherit = "wecom.message.media"

    def init(self):
        super().init()
        create_index(
            self.env.cr,
            "wecom_message_media_part_problem_idx",
            self._table,
            ["corp_id", "media_state"],
            where=_MEDIA_INDEX_WHERE,
        )


class WecomContact(models.Model):
    _inherit = "wecom.contact"

    def init(self):
        super().init()
        # Archive Health counts the customers who refused archiving (不同意存档).
        create_index(
            self.env.cr,
            "wecom_contact_refused_idx",
            self._table,
            ["corp_id"],
            where="consent_status = 'disagree'",
        )


class WecomHealth(models.AbstractModel):
    _name = "wecom.health"
    _description = "Archive Health"

    @api.model
    @api.readonly
    def health(self, corp_id=None):
        """What 存档健康 shows for a corp (the first one the user may read when none is
        given), counted as the user:

        - scope: the members in the archive scope (开启范围, 归档中) against the seats
          bought; those WeCom lists in the scope that the directory does not have, those
          without directory data, those no archived message ever named;
        - daily: the messages archived on each of the last 30 local days (the statistics);
        - pull: the time since the last successful pull, the age of the newest archived
          message, the last pull error;
        - messages: those waiting for a private key (per key version), failed decryption,
          malformed, with their most frequent reasons; the records set aside;
        - media: the files that failed to download, were too large, or could not be
          verified, with reasons;
        - refused: the customers who refused archiving (不同意存档), per member;
        - problems: every problem found, worst first, with its reason in words and the
          actions that fix it (health_action)."""
        Corp = self.env["wecom.corp"]
        corps = Corp.search([])
        corp = corps.filtered(lambda c: c.id == int(corp_id)) if corp_id else corps[:1]
        user = self.env.user
        result = {
            "corps": [{"id": c.id, "name": c.name} for c in corps],
            "corp": False,
            "scoped": not user.has_group(SUPER),
            "can_manage": user.has_group(MANAGER),
            "can_add_keys": user.has_group("base.group_system"),
        }
        if not corp:
            return result
        now = fields.Datetime.now()
        sections = {
            "scope": self._scope(corp, result["scoped"]),
            "daily": self._daily(corp, now),
            "pull": self._pull_state(corp, now),
            "messages": self._messages(corp),
            "media": self._media(corp),
            "refused": self._refused(corp),
        }
        result["corp"] = {"id": corp.id, "name": corp.name, **sections}
        result["problems"] = self._problems(corp, sections, result)
        result["checked_at"] = fields.Datetime.to_string(now)
        return result

    # -- the counts --------------------------------------------------------------------------
    def _rows(self, Model, domain, *columns):
        """[(*columns, count)] of the records of ``domain`` the user may read, grouped by
        ``columns``: one query, the record rules in it (Model._search)."""
        query = Model._search(domain)
        selected = [Model._field_to_sql(query.table, column, query) for column in columns]
        if selected:
            query.groupby = SQL(", ").join(selected)
        return self.env.execute_query(query.select(*selected, SQL("COUNT(*)")))

    def _scope(self, corp, scoped):
        """The members in the archive scope as the user may read them (an archive admin:
        those of their scope), and what is wrong with them."""
        Member = self.env["wecom.member"].with_context(active_test=False)
        query = Member._search([("corp_id", "=", corp.id), ("archive_status", "=", "archiving")])
        table = query.table
        ((in_scope, not_synced, never_seen),) = self.env.execute_query(
            query.select(
                SQL("COUNT(*)"),
                SQL("COUNT(*) FILTER (WHERE %s IS NULL)", SQL.identifier(table, "synced_on")),
                SQL(
                    """COUNT(*) FILTER (WHERE NOT EXISTS (
                           SELECT 1 FROM wecom_stat_member_day d WHERE d.member_id = %s))""",
                    SQL.identifier(table, "id"),
                ),
            )
        )
        formerly = self._rows(
            Member, [("corp_id", "=", corp.id), ("archive_status", "=", "archived")]
        )[0][0]
        unsynced = [] if scoped else (corp.archive_scope_unsynced or "").split()
        return {
            "in_scope": in_scope,
            "formerly": formerly,
            "not_synced": not_synced,
            "never_seen": never_seen,
            # the corp's figures: a scoped admin's members are a part of them
            "seats": False if scoped else corp.archive_seats,
            "wecom_scope": False if scoped else corp.archive_scope_count,
            "unsynced_userids": unsynced,
            "last_sync": fields.Datetime.to_string(corp.last_sync_ok)
            if corp.last_sync_ok
            else False,
        }

    def _local_today(self, corp, now):
        return pytz.utc.localize(now).astimezone(pytz.timezone(corp._stat_tz())).date()

    def _daily(self, corp, now):
        """The messages of each of the last DAYS local days, from the statistics as 数据报表
        counts them: the 1:1 customer chats' through their employee's day, the internal and
        group chats' through the chats' days."""
        last = self._local_today(corp, now)
        first = last - timedelta(days=DAYS - 1)
        days = {first + timedelta(days=n): 0 for n in range(DAYS)}
        MemberDay, ChatDay = self.env["wecom.dashboard"]._statistics()
        span = [("corp_id", "=", corp.id), ("day", ">=", first), ("day", "<=", last)]
        for day, sent, received in MemberDay._read_group(
            span, ["day:day"], ["sent_external:sum", "received_external:sum"]
        ):
            days[day] += sent + received
        for day, count in ChatDay._read_group(
            [*span, ("kind", "in", ["internal", "group"])], ["day:day"], ["message_count:sum"]
        ):
            days[day] += count
        return [{"day": fields.Date.to_string(day), "messages": n} for day, n in days.items()]

    def _pull_state(self, corp, now):
        # the newest message pulled, of the chats the user may read: the chats' last message
        # times (indexed), not a scan of the messages under a scope's rule
        ((newest,),) = self.env["wecom.conversation"]._read_group(
            [("corp_id", "=", corp.id), ("last_msgtime", "!=", False)], [], ["last_msgtime:max"]
        )

        def age(moment):
            return int((now - moment).total_seconds()) if moment else None

        since = corp.last_pull_ok
        return {
            "last_pull_ok": fields.Datetime.to_string(since) if since else False,
            "since_pull": age(since),
            "newest_msgtime": fields.Datetime.to_string(newest) if newest else False,
            "lag": age(newest),
            "last_error": corp.last_error or False,
            "isolated": corp.isolated_error or False,
            "alarm_hours": corp.lag_alarm_hours,
            "seq": corp.seq,
        }

    def _messages(self, corp):
        """The messages that could not be read, as the user may read them: an undecrypted
        message names nobody yet, so only those outside any scope (a super admin) see
        them."""
        Message = self.env["wecom.message"]
        domain = [("corp_id", "=", corp.id), ("state", "in", list(FAILED_STATES))]
        counts = {state: 0 for state in FAILED_STATES}
        waiting = {}
        for state, version, count in self._rows(Message, domain, "state", "publickey_ver"):
            counts[state] += count
            if state == "no_key":
                waiting[version or 0] = waiting.get(version or 0, 0) + count
        reasons = {state: [] for state in FAILED_STATES}
        for state, error, count in sorted(
            self._rows(Message, [*domain, ("state", "!=", "no_key")], "state", "error"),
            key=lambda row: (-row[2], row[1] or ""),
        ):
            if len(reasons[state]) < TOP_REASONS:
                reasons[state].append({"reason": error or "", "count": count})
        return {
            **counts,
            "waiting": [
                {"version": version, "count": count} for version, count in sorted(waiting.items())
            ],
            "reasons": reasons,
        }

    def _media(self, corp):
        """The media files that went wrong: of messages, and inside mixed messages and
        forwarded chat records, in the user's scope."""
        counts = {"failed": 0, "too_large": 0, "unverified": 0}
        reasons = {}
        domain = [("corp_id", "=", corp.id), *_MEDIA_DOMAIN]
        for model in ("wecom.message", "wecom.message.media"):
            for state, error, count in self._rows(
                self.env[model], domain, "media_state", "media_error"
            ):
                key = "unverified" if state == "done" else state
                counts[key] += count
                if key == "failed":
                    reasons[error or ""] = reasons.get(error or "", 0) + count
        top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:TOP_REASONS]
        return {
            **counts,
            "reasons": [{"reason": reason, "count": count} for reason, count in top],
            "max_mb": corp.max_media_size_mb,
        }

    def _refused(self, corp):
        """The customers who refused archiving (不同意存档), per member who follows them or
        has a 1:1 chat with them: their chats with that member are not archived."""
        contacts = self.env["wecom.contact"]._search(
            [("corp_id", "=", corp.id), ("consent_status", "=", "disagree")]
        )
        Member = self.env["wecom.member"].with_context(active_test=False)
        members = Member._search([("corp_id", "=", corp.id)])
        self.env["wecom.contact.follow"].flush_model(["member_id", "contact_id", "state"])
        self.env["wecom.conversation"].flush_model(["kind", "contact_id", "member_ids"])
        rows = self.env.execute_query(
            SQL(
                """SELECT p.member_id, COUNT(DISTINCT p.contact_id)
                     FROM (SELECT f.member_id, f.contact_id FROM wecom_contact_follow f
                            WHERE f.state = 'current' AND f.contact_id IN %(contacts)s
                           UNION
                           SELECT r.wecom_member_id, c.contact_id FROM wecom_conversation c
                             JOIN wecom_conversation_member_rel r
                               ON r.wecom_conversation_id = c.id
                            WHERE c.kind = 'external' AND c.contact_id IN %(contacts)s) p
                    WHERE p.member_id IN %(members)s
                    GROUP BY p.member_id""",
                contacts=contacts.subselect(),
                members=members.subselect(),
            )
        )
        total = self.env.execute_query(
            SQL("SELECT COUNT(*) FROM %s AS refused", contacts.subselect())
        )
        names = {m.id: m.display_name for m in Member.browse([row[0] for row in rows])}
        per_member = sorted(
            ({"member_id": m, "name": names[m], "count": n} for m, n in rows),
            key=lambda row: (-row["count"], row["name"]),
        )
        return {"total": total[0][0], "members": per_member}

    # -- the problems ------------------------------------------------------------------------
    def _problems(self, corp, s, result):
        """The rows of the screen: what is wrong, why in plain words, and what fixes it."""
        _ = self.env._
        manage, keys = result["can_manage"], result["can_add_keys"]
        problems = []

        def add(key, severity, title, reason, count=None, actions=()):
            problems.append(
                {
                    "key": key,
                    "severity": severity,
                    "title": title,
                    "reason": reason,
                    "count": count,
                    "actions": [
                        {"name": name, "arg": arg, "label": label}
                        for name, arg, label, allowed in actions
                        if allowed
                    ],
                }
            )

        pull, scope, messages, media = s["pull"], s["scope"], s["messages"], s["media"]
        hours = pull["alarm_hours"] or 12
        fix_pull = [
            ("pull", None, _("Pull Now"), manage),
            ("corp", None, _("Open the Corp"), manage),
        ]
        if pull["last_error"]:
            add(
                "pull_error",
                "danger",
                _("The last pull failed"),
                _(
                    "WeCom or the Finance SDK refused the last pull: %(error)s Until a pull "
                    "succeeds no new message is archived.",
                    error=pull["last_error"],
                ),
                actions=fix_pull,
            )
        if pull["since_pull"] is None:
            add(
                "never_pulled",
                "danger",
                _("Never pulled"),
                _(
                    "No pull of this corp has succeeded yet: check the corp ID, the archive "
                    "Secret, the trusted IP address and the private keys, then pull."
                ),
                actions=fix_pull,
            )
        elif pull["since_pull"] >= hours * 3600:
            add(
                "pull_stalled",
                "danger",
                _("Pulls have stopped"),
                _(
                    "No pull has succeeded for %(hours)s hours. WeCom keeps archived chats for "
                    "about 5 days: fix the cause before they are lost.",
                    hours=pull["since_pull"] // 3600,
                ),
                actions=fix_pull,
            )
        elif pull["lag"] is not None and pull["lag"] >= QUIET_HOURS * 3600:
            add(
                "quiet",
                "info",
                _("No new messages"),
                _(
                    "Pulls succeed, but the newest archived message is %(hours)s hours old: "
                    "the members in the archive scope have not chatted since, or WeCom "
                    "archives nobody's chats (check 开启范围).",
                    hours=pull["lag"] // 3600,
                ),
            )
        for row in messages["waiting"]:
            add(
                f"no_key_{row['version']}",
                "danger",
                _("Waiting for the private key of version %s", row["version"]),
                _(
                    "These messages are encrypted with public key version %(version)s, whose "
                    "private key is not configured: add the private key of version "
                    "%(version)s and they are decrypted at once. Nothing is lost meanwhile.",
                    version=row["version"],
                )
                if keys
                else _(
                    "These messages are encrypted with public key version %(version)s, whose "
                    "private key is not configured: ask a system administrator to add the "
                    "private key of version %(version)s. Nothing is lost meanwhile.",
                    version=row["version"],
                ),
                row["count"],
                [
                    (
                        "keys",
                        row["version"],
                        _("Add the Private Key of Version %s", row["version"]),
                        keys,
                    ),
                    ("messages", f"no_key:{row['version']}", _("Show the Messages"), True),
                ],
            )
        fix_messages = ("reprocess", None, _("Retry Failed Messages"), manage)
        if messages["decrypt_error"]:
            add(
                "decrypt_error",
                "danger",
                _("Decryption failed"),
                _(
                    "The private key does not match the public key these messages were "
                    "encrypted with, or the record is damaged. Check the key of each "
                    "version, then retry; the encrypted records are kept."
                ),
                messages["decrypt_error"],
                [fix_messages, ("messages", "decrypt_error", _("Show the Messages"), True)],
            )
        if messages["parse_error"]:
            add(
                "parse_error",
                "warning",
                _("Malformed messages"),
                _(
                    "Decrypted, but not valid message JSON: kept as they are. A retry helps "
                    "when a newer version of the addon reads them."
                ),
                messages["parse_error"],
                [fix_messages, ("messages", "parse_error", _("Show the Messages"), True)],
            )
        if pull["isolated"] and not result["scoped"]:
            add(
                "isolated",
                "warning",
                _("Records set aside"),
                pull["isolated"],
                actions=[fix_messages],
            )
        if media["failed"]:
            add(
                "media_failed",
                "warning",
                _("Media downloads failed"),
                _(
                    "These files could not be downloaded after several attempts (WeCom no "
                    "longer has them, or the network failed). Retry once the cause is fixed."
                ),
                media["failed"],
                [
                    ("retry_media", None, _("Retry Downloads"), manage),
                    ("media", "failed", _("Show the Messages"), True),
                ],
            )
        if media["too_large"]:
            add(
                "media_too_large",
                "info",
                _("Media files too large"),
                _(
                    "These files are over the corp's limit of %(mb)s MB and were not "
                    "downloaded: raise Max Media Size on the corp, then retry.",
                    mb=media["max_mb"],
                ),
                media["too_large"],
                [
                    ("corp", None, _("Open the Corp"), manage),
                    ("retry_media", None, _("Retry Downloads"), manage),
                    ("media", "too_large", _("Show the Messages"), True),
                ],
            )
        if media["unverified"]:
            add(
                "media_unverified",
                "info",
                _("Media files not verified"),
                _(
                    "Downloaded, but WeCom sent no md5sum or size to check them against "
                    "(meeting recordings, some files): nothing to fix."
                ),
                media["unverified"],
                [("media", "unverified", _("Show the Messages"), True)],
            )
        if not scope["in_scope"]:
            add(
                "no_scope",
                "danger",
                _("Nobody in the archive scope"),
                _(
                    "None of the members of your scope is in the archive scope (开启范围): "
                    "their chats are not archived."
                )
                if result["scoped"]
                else _(
                    "No member is in the archive scope (开启范围): WeCom archives nobody's "
                    "chats. Set 开启范围 under 管理工具 → 会话内容存档, then sync the directory."
                ),
                actions=[("sync", None, _("Sync Directory"), manage)],
            )
        seats, wecom_scope = scope["seats"], scope["wecom_scope"]
        if seats and wecom_scope > seats:
            add(
                "over_seats",
                "danger",
                _("More members than seats"),
                _(
                    "开启范围 has %(members)s members but only %(seats)s seats were bought: "
                    "WeCom archives the chats of some members only. Buy more seats or take "
                    "members out of the scope.",
                    members=wecom_scope,
                    seats=seats,
                ),
                wecom_scope - seats,
                [("members", "scope", _("Show the Members"), True)],
            )
        elif not seats and not result["scoped"] and manage:
            add(
                "seats_unknown",
                "info",
                _("Seats not entered"),
                _(
                    "Enter the seats bought (已开启 n/m under 管理工具 → 会话内容存档) on the "
                    "corp: the scope is then checked against them."
                ),
                actions=[("corp", None, _("Open the Corp"), manage)],
            )
        if scope["unsynced_userids"]:
            add(
                "scope_unsynced",
                "warning",
                _("Members in scope missing from the directory"),
                _(
                    "WeCom archives these members' chats, but the directory sync did not "
                    "return them: %(ids)s. Widen the visible range of the contacts Secret "
                    "(通讯录同步), then sync.",
                    ids=", ".join(scope["unsynced_userids"][:20]),
                ),
                len(scope["unsynced_userids"]),
                [("sync", None, _("Sync Directory"), manage)],
            )
        if scope["not_synced"]:
            add(
                "not_synced",
                "warning",
                _("Members without directory data"),
                _(
                    "In the archive scope, but known by their UserID only: no name or "
                    "department, so department scopes and reports miss them. Sync the "
                    "directory."
                ),
                scope["not_synced"],
                [
                    ("sync", None, _("Sync Directory"), manage),
                    ("members", "not_synced", _("Show the Members"), True),
                ],
            )
        if scope["never_seen"]:
            add(
                "never_seen",
                "info",
                _("Members never seen in a message"),
                _(
                    "In the archive scope, but no archived message names them: they have not "
                    "chatted since they joined the scope, or WeCom has not archived their "
                    "chats yet (the scope changes take effect for new messages only)."
                ),
                scope["never_seen"],
                [("members", "never_seen", _("Show the Members"), True)],
            )
        if s["refused"]["total"]:
            add(
                "refused",
                "warning",
                _("Customers refused archiving"),
                _(
                    "These customers chose 不同意存档: WeCom archives none of their chats, and "
                    "the member can no longer message them in a 1:1 chat. The member may ask "
                    "them to agree in WeCom."
                ),
                s["refused"]["total"],
                [("refused", None, _("Show the Customers"), True)],
            )
        problems.sort(key=lambda p: SEVERITY[p["severity"]])
        return problems

    # -- the actions -------------------------------------------------------------------------
    @api.model
    def health_action(self, corp_id, name, arg=None):
        """The action of a problem row: a fix (the corp's own buttons, or retrying the media
        downloads), or the list of the rows the problem counts, under the user's rules."""
        corp = self.env["wecom.corp"].browse(int(corp_id)).exists()
        corp.check_access("read")
        _ = self.env._
        if name in ("pull", "reprocess", "sync", "retry_media", "corp"):
            self._require(MANAGER)
        if name == "pull":
            return corp.action_pull()
        if name == "reprocess":
            return corp.action_reprocess()
        if name == "sync":
            return corp.action_sync()
        if name == "retry_media":
            return self._retry_media(corp)
        if name == "corp":
            return {
                "type": "ir.actions.act_window",
                "res_model": "wecom.corp",
                "res_id": corp.id,
                "views": [(False, "form")],
                "target": "current",
            }
        if name == "keys":
            self._require("base.group_system")
            return {
                "type": "ir.actions.act_window",
                "name": _("Private Keys"),
                "res_model": "wecom.corp",
                "res_id": corp.id,
                "views": [
                    (self.env.ref("wecom_archive.wecom_health_corp_view_form_keys").id, "form")
                ],
                "target": "current",
                "context": {"wecom_key_version": int(arg)},
            }
        corp_domain = [("corp_id", "=", corp.id)]
        if name == "messages":
            state, _sep, version = str(arg).partition(":")
            if state not in FAILED_STATES:
                raise UserError(_("Unknown problem: %s", arg))
            domain = [*corp_domain, ("state", "=", state)]
            if version:
                domain.append(("publickey_ver", "=", int(version)))
            return self._window("wecom_archive.wecom_message_action", domain, _("Messages"))
        if name == "media":
            kind = {
                "failed": [("media_state", "=", "failed")],
                "too_large": [("media_state", "=", "too_large")],
                "unverified": [("media_state", "=", "done"), ("media_check", "=", "none")],
            }.get(arg)
            if kind is None:
                raise UserError(_("Unknown problem: %s", arg))
            domain = [*corp_domain, "|", *self._and(kind), ("media_part_ids", "any", kind)]
            return self._window("wecom_archive.wecom_message_action", domain, _("Media"))
        if name == "members":
            domain = [*corp_domain, ("archive_status", "=", "archiving")]
            if arg == "not_synced":
                domain.append(("synced_on", "=", False))
            elif arg == "never_seen":
                domain.append(("id", "in", self._never_seen(corp)))
            return self._window("wecom_archive.wecom_member_action", domain, _("Members"))
        if name == "refused":
            domain = [*corp_domain, ("consent_status", "=", "disagree")]
            if arg:
                member = [int(arg)]
                domain += [
                    "|",
                    ("follow_ids", "any", [("member_id", "in", member), ("state", "=", "current")]),
                    (
                        "conversation_ids",
                        "any",
                        [("kind", "=", "external"), ("member_ids", "in", member)],
                    ),
                ]
            return self._window(
                "wecom_archive.wecom_contact_action", domain, _("Customers Who Refused Archiving")
            )
        raise UserError(_("Unknown problem: %s", name))

    def _require(self, group):
        if not self.env.user.has_group(group):
            raise AccessError(self.env._("Only WeCom administrators can do this."))

    @staticmethod
    def _and(domain):
        return expression.AND([[leaf] for leaf in domain])

    def _never_seen(self, corp):
        Member = self.env["wecom.member"].with_context(active_test=False)
        query = Member._search([("corp_id", "=", corp.id), ("archive_status", "=", "archiving")])
        query.add_where(
            SQL(
                "NOT EXISTS (SELECT 1 FROM wecom_stat_member_day d WHERE d.member_id = %s)",
                SQL.identifier(query.table, "id"),
            )
        )
        return [row[0] for row in self.env.execute_query(query.select())]

    def _window(self, xml_id, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(xml_id)
        action.update(
            domain=domain,
            context={"active_test": False},
            name=name,
        )
        action["display_name"] = action["name"]
        return action

    def _retry_media(self, corp):
        """The failed and too-large media of the corp that the user may read, downloaded
        again by the next media job run (triggered now)."""
        count = 0
        for model in ("wecom.message", "wecom.message.media"):
            records = self.env[model].search(
                [("corp_id", "=", corp.id), ("media_state", "in", list(MEDIA_BAD))]
            )
            records_sudo = records.sudo().with_context(wecom_pipeline=True)
            records_sudo.write(
                {"media_state": "pending", "media_next_try": False, "media_attempts": 0}
            )
            count += len(records)
        self.env.ref("wecom_archive.ir_cron_wecom_media")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("WeCom"),
                "message": self.env._(
                    "%(count)s media files will be downloaded again shortly.", count=count
                ),
                "type": "info",
            },
        }
