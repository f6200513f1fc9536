"""The chat viewer (查看聊天记录): one method per screen region, each answered as the user
(record rules apply) in a few set-based queries per page, keyset-paged, names joined in SQL.

Times go to the client as ISO UTC strings ("YYYY-MM-DD HH:MM:SS[.ffffff]"), False when
empty; every message is shown as its lib.cards card."""

from datetime import datetime

from odoo import api, models
from odoo.tools import SQL

from ..lib import cards
from ..lib.normalize import id_kind
from ..lib.search import like_pattern

CHAT_KINDS = ("external", "internal", "group")
LISTED_STATUSES = ("archiving", "archived")
# The columns of a message a page reads (wecom_message as the Query's table).
_MESSAGE_COLUMNS = (
    "id",
    "seq",
    "msgid",
    "msgtime",
    "msgtype",
    "sender",
    "body",
    "state",
    "error",
    "recalled",
    "corp_id",
    "conversation_id",
    "sdkfileid",
)
_LAST_COLUMNS = ("id", "msgid", "sender", "body", "state", "error", "recalled")
_WITH_PARTS = ("mixed", "chatrecord")


def _iso(value):
    """A stored (UTC) datetime as the client takes it; False when empty."""
    return value.isoformat(sep=" ") if value else False


def _datetime(value):
    """A cursor's time, to the microsecond (msgtime keeps WeCom's milliseconds)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _limit(value, default):
    return max(1, min(int(value or default), 500))


def _people(card):
    """The ids a card names, its children's included."""
    ids = {person["id"] for person in card["people"]}
    for child in card["children"]:
        ids |= _people(child)
    return ids


def _spans(content, offsets, text):
    """A violation's [start, end) offsets into ``content`` (the message's text, which it
    scanned) as offsets into ``text`` (the card's): the n-th occurrence of a hit in the one
    is its n-th occurrence in the other; a hit the card does not show is left out."""
    if content == text:
        return [[start, end] for start, end in offsets]
    spans = []
    for start, end in offsets:
        word = content[start:end]
        if not word:
            continue
        nth, at = 0, content.find(word)
        while -1 < at < start:
            nth += 1
            at = content.find(word, at + 1)
        at = -1
        for _ in range(nth + 1):
            at = text.find(word, at + 1)
            if at < 0:
                break
        if at >= 0:
            spans.append([at, at + len(word)])
    return spans


class WecomViewer(models.AbstractModel):
    _name = "wecom.viewer"
    _description = "Chat Viewer"

    # -- 员工: the employees whose chats are archived ----------------------------------------
    @api.model
    @api.readonly
    def employees(self, search="", cursor=None, limit=80):
        """Members archiving (归档中) first, then formerly archived (曾归档), by name; ``search``
        matches a name, a userid or a department's name. Keyset-paged on the sort values."""
        limit = _limit(limit, 80)
        self.env.flush_all()
        found = self.env["wecom.member"]._search([("archive_status", "in", LISTED_STATUSES)])
        table = found.table

        def column(name):
            return SQL.identifier(table, name)

        rank = SQL("(CASE WHEN %s = 'archiving' THEN 0 ELSE 1 END)", column("archive_status"))
        sort_name = SQL("COALESCE(%s, %s)", column("name"), column("userid"))
        search = (search or "").strip()
        if search:
            pattern = like_pattern(search)
            found.add_where(
                SQL(
                    """(%(name)s ILIKE %(pattern)s OR %(userid)s ILIKE %(pattern)s
                        OR EXISTS (SELECT 1 FROM wecom_department_wecom_member_rel r
                                     JOIN wecom_department d ON d.id = r.wecom_department_id
                                    WHERE r.wecom_member_id = %(id)s
                                      AND d.name ILIKE %(pattern)s))""",
                    name=column("name"),
                    userid=column("userid"),
                    id=column("id"),
                    pattern=pattern,
                )
            )
        [(total,)] = self.env.execute_query(found.select("count(*)"))
        if cursor:
            after_rank, after_name, after_id = cursor
            found.add_where(
                SQL(
                    "(%s, %s, %s) > (%s, %s, %s)",
                    rank,
                    sort_name,
                    column("id"),
                    after_rank,
                    after_name,
                    after_id,
                )
            )
        found.order = SQL("%s, %s, %s", rank, sort_name, column("id"))
        found.limit = limit + 1
        department = SQL(
            """COALESCE(
                   (SELECT d.name FROM wecom_department d WHERE d.id = %(main)s),
                   (SELECT d.name FROM wecom_department_wecom_member_rel r
                      JOIN wecom_department d ON d.id = r.wecom_department_id
                     WHERE r.wecom_member_id = %(id)s ORDER BY d.parent_path, d.id LIMIT 1),
                   '')""",
            main=column("main_department_id"),
            id=column("id"),
        )
        rows = self.env.execute_query_dict(
            found.select(
                SQL("%s AS id", column("id")),
                SQL("%s AS name", column("name")),
                SQL("%s AS userid", column("userid")),
                SQL("%s AS position", column("position")),
                SQL("%s AS archive_status", column("archive_status")),
                SQL("%s AS rank", rank),
                SQL("%s AS sort_name", sort_name),
                SQL("%s AS department", department),
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        last_times = dict(
            self.env.execute_query(
                SQL(
                    """SELECT r.wecom_member_id, max(c.last_msgtime)
                         FROM wecom_conversation_member_rel r
                         JOIN wecom_conversation c ON c.id = r.wecom_conversation_id
                        WHERE r.wecom_member_id = ANY(%s)
                        GROUP BY r.wecom_member_id""",
                    [row["id"] for row in rows],
                )
            )
        )
        labels = self._labels("wecom.member", "archive_status")
        employees = [
            {
                "id": row["id"],
                "name": row["name"] or row["userid"],
                "userid": row["userid"],
                "unsynced": not row["name"],
                "department": row["department"],
                "position": row["position"] or "",
                "archive_status": row["archive_status"],
                "status_label": labels[row["archive_status"]],
                "last_msgtime": _iso(last_times.get(row["id"])),
            }
            for row in rows
        ]
        next_cursor = None
        if more:
            last = rows[-1]
            next_cursor = [last["rank"], last["sort_name"], last["id"]]
        return {"employees": employees, "next_cursor": next_cursor, "total": total}

    # -- 外部联系人 / 内部联系人 / 群聊: an employee's chats of one kind -------------------------
    @api.model
    @api.readonly
    def chats(self, member_id, kind, search="", cursor=None, limit=50):
        """The member's chats of ``kind`` the user may read, newest first, named from the
        member's side, with their last message; ``counts``: the member's chats per kind."""
        if kind not in CHAT_KINDS:
            raise ValueError(f"unknown chat kind {kind!r}")
        limit = _limit(limit, 50)
        member = self._readable("wecom.member", member_id)
        self.env.flush_all()
        Chat = self.env["wecom.conversation"]
        counted = Chat._search([("member_ids", "in", member.ids)])
        counted.groupby = SQL.identifier(counted.table, "kind")
        counts = dict.fromkeys(CHAT_KINDS, 0)
        counts.update(
            self.env.execute_query(
                counted.select(SQL.identifier(counted.table, "kind"), "count(*)")
            )
        )

        found = Chat._search([("member_ids", "in", member.ids), ("kind", "=", kind)])
        table = found.table
        last_time, id_ = SQL.identifier(table, "last_msgtime"), SQL.identifier(table, "id")
        search = (search or "").strip()
        if search:
            found.add_where(self._chat_search(found, kind, member, like_pattern(search)))
        if cursor:
            after_time, after_id = cursor
            if after_time:  # NULLS LAST: the chats without messages come after all others
                found.add_where(
                    SQL(
                        "((%s, %s) < (%s, %s) OR %s IS NULL)",
                        last_time,
                        id_,
                        _datetime(after_time),
                        after_id,
                        last_time,
                    )
                )
            else:
                found.add_where(SQL("(%s IS NULL AND %s < %s)", last_time, id_, after_id))
        found.order = SQL("%s DESC NULLS LAST, %s DESC", last_time, id_)
        found.limit = limit + 1
        page = self.env.execute_query(found.select(id_, last_time))
        more = len(page) > limit
        page = page[:limit]
        chats = self._chats([chat_id for chat_id, _time in page], member)
        next_cursor = None
        if more:
            next_cursor = [_iso(page[-1][1]) or None, page[-1][0]]
        return {"chats": chats, "next_cursor": next_cursor, "counts": counts}

    def _chat_search(self, found, kind, member, pattern):
        """The condition of a chat whose other party's name holds the pattern."""
        chat = SQL.identifier(found.table, "id")
        if kind == "external":
            return SQL(
                """EXISTS (SELECT 1 FROM wecom_contact ct
                            WHERE ct.id = %s AND COALESCE(ct.name, ct.external_userid) ILIKE %s)""",
                SQL.identifier(found.table, "contact_id"),
                pattern,
            )
        if kind == "internal":
            return SQL(
                """EXISTS (SELECT 1 FROM wecom_conversation_member_rel r
                             JOIN wecom_member m ON m.id = r.wecom_member_id
                            WHERE r.wecom_conversation_id = %(chat)s AND m.id != %(member)s
                              AND (m.name ILIKE %(pattern)s OR m.userid ILIKE %(pattern)s))""",
                chat=chat,
                member=member.id,
                pattern=pattern,
            )
        return SQL(
            """COALESCE((SELECT NULLIF(g.name, '') FROM wecom_group g WHERE g.id = %s), %s)
               ILIKE %s""",
            SQL.identifier(found.table, "group_id"),
            SQL.identifier(found.table, "roomid"),
            pattern,
        )

    def _chats(self, chat_ids, member):
        """The rows of chats the user may read, in the order of ``chat_ids``, named from
        ``member``'s side (both parties of an internal chat without one), each with its
        last message the user may read (one LATERAL query)."""
        if not chat_ids:
            return []
        last = self.env["wecom.message"]._search([])  # the user's rules on messages
        table = last.table

        def column(name):
            return SQL.identifier(table, name)

        last.add_where(SQL("%s = c.id", column("conversation_id")))
        last.order = SQL("%s DESC, %s DESC", column("msgtime"), column("seq"))
        last.limit = 1
        lateral = last.select(
            *(
                SQL("%s AS %s", column(name), SQL.identifier(f"last_{name}"))
                for name in _LAST_COLUMNS
            )
        )
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT c.id, c.kind, c.key, c.roomid, c.corp_id, c.last_msgtime,
                          c.message_count, ct.name AS contact_name, ct.external_userid,
                          ct.corp_name, NULLIF(g.name, '') AS group_name,
                          others.names AS member_names, others.unsynced AS members_unsynced,
                          lm.*
                     FROM unnest(%(ids)s::int[]) WITH ORDINALITY AS page(id, n)
                     JOIN wecom_conversation c ON c.id = page.id
                     LEFT JOIN wecom_contact ct ON ct.id = c.contact_id
                     LEFT JOIN wecom_group g ON g.id = c.group_id
                     LEFT JOIN LATERAL (
                           SELECT array_agg(COALESCE(m.name, m.userid)
                                            ORDER BY COALESCE(m.name, m.userid)) AS names,
                                  bool_or(m.name IS NULL) AS unsynced
                             FROM wecom_conversation_member_rel r
                             JOIN wecom_member m ON m.id = r.wecom_member_id
                            WHERE c.kind = 'internal' AND r.wecom_conversation_id = c.id
                              AND m.id != %(member)s
                          ) others ON TRUE
                     LEFT JOIN LATERAL (%(last)s) lm ON TRUE
                    ORDER BY page.n""",
                ids=list(chat_ids),
                member=member.id or 0,
                last=lateral,
            )
        )
        last_rows = [
            {name: row[f"last_{name}"] for name in _LAST_COLUMNS} if row["last_id"] else None
            for row in rows
        ]
        people = {row["sender"] for row in last_rows if row and row["sender"]}
        for row in filter(None, last_rows):
            people |= _people(self._card(row))
        names = self._names({row["corp_id"] for row in rows}, people)
        chats = []
        for row, last in zip(rows, last_rows, strict=True):
            chat = {
                "id": row["id"],
                "kind": row["kind"],
                "name": "",
                "unsynced": False,
                "last_msgtime": _iso(row["last_msgtime"]),
                "message_count": row["message_count"],
                "preview": "",
                "preview_sender": "",
            }
            if row["kind"] == "external":
                chat["name"] = row["contact_name"] or row["external_userid"] or row["key"]
                chat["unsynced"] = not row["contact_name"]
                if row["corp_name"]:
                    chat["corp_name"] = row["corp_name"]
            elif row["kind"] == "internal":
                chat["name"] = " ↔ ".join(row["member_names"] or []) or row["key"]
                chat["unsynced"] = bool(row["members_unsynced"])
            else:
                chat["name"] = row["group_name"] or self._unnamed_group(row["roomid"])
                chat["unsynced"] = not row["group_name"]
            if last:
                chat["preview"] = cards.snippet(self._card(last, names=names), limit=60)
                sender = last["sender"] or ""
                chat["preview_sender"] = names.get(sender) or sender
            chats.append(chat)
        return chats

    # -- a chat's messages ------------------------------------------------------------------
    @api.model
    def thread(
        self,
        conversation_id,
        member_id=None,
        cursor=None,
        direction="before",
        limit=40,
        violations_only=False,
    ):
        """A page of the chat's messages in time order: the newest without ``cursor``,
        else the ``limit`` messages just before (or after) the cursor's (msgtime, seq).
        Opening a chat (no cursor) is written to the access log."""
        if direction not in ("before", "after"):
            raise ValueError(f"unknown direction {direction!r}")
        limit = _limit(limit, 40)
        chat = self._readable("wecom.conversation", conversation_id)
        member = self._member(member_id)
        self.env.flush_all()
        found = self._chat_messages(chat, violations_only)
        after = bool(cursor) and direction == "after"
        if cursor:
            found.add_where(self._from_cursor(found, cursor, ">" if after else "<"))
        self._order_by(found, "ASC" if after else "DESC", limit + 1)
        rows = self.env.execute_query_dict(self._select(found))
        more = len(rows) > limit
        rows = rows[:limit]
        if not after:
            rows.reverse()
        if not cursor:
            self.env["wecom.access.log"]._log("open_chat", chat)
        return {
            "messages": self._messages(rows, chat, member),
            "has_before": True if after else more,
            "has_after": more if after else bool(cursor),
        }

    @api.model
    def context(self, message_id, member_id=None, around=20):
        """A message among the ``around`` messages before and after it in its chat (the
        thread opened at a search hit or a violation). Viewing it is written to the access
        log."""
        around = max(0, min(int(around), 500))
        message = self._readable("wecom.message", message_id)
        member = self._member(member_id)
        self.env.flush_all()
        Message = self.env["wecom.message"]
        found = Message._search([("id", "=", message.id)])
        [target] = self.env.execute_query_dict(self._select(found))
        self.env["wecom.access.log"]._log("view_message", message)
        if not target["conversation_id"]:  # a switch event, or a record not readable yet
            return {
                "conversation": False,
                "messages": self._messages([target], None, member),
                "target_id": message.id,
                "has_before": False,
                "has_after": False,
            }
        chat = self._readable("wecom.conversation", target["conversation_id"])
        key = [target["msgtime"], target["seq"]]
        sides = {}
        for operator, order in (("<", "DESC"), (">", "ASC")):
            found = self._chat_messages(chat)
            found.add_where(self._from_cursor(found, key, operator))
            self._order_by(found, order, around + 1)
            sides[operator] = self.env.execute_query_dict(self._select(found))
        before, after = sides["<"], sides[">"]
        rows = [*reversed(before[:around]), target, *after[:around]]
        return {
            "conversation": self._chats(chat.ids, member)[0],
            "messages": self._messages(rows, chat, member),
            "target_id": message.id,
            "has_before": len(before) > around,
            "has_after": len(after) > around,
        }

    def _chat_messages(self, chat, violations_only=False):
        """The Query of the chat's messages the user may read."""
        found = self.env["wecom.message"]._search([("conversation_id", "=", chat.id)])
        if violations_only:
            found.add_where(
                SQL(
                    "EXISTS (SELECT 1 FROM wecom_violation v WHERE v.message_id = %s)",
                    SQL.identifier(found.table, "id"),
                )
            )
        return found

    def _from_cursor(self, found, cursor, operator):
        msgtime, seq = cursor
        return SQL(
            "(%s, %s) %s (%s, %s)",
            SQL.identifier(found.table, "msgtime"),
            SQL.identifier(found.table, "seq"),
            SQL(operator),
            _datetime(msgtime),
            seq,
        )

    def _order_by(self, found, direction, limit):
        direction = SQL(direction)
        found.order = SQL(
            "%s %s, %s %s",
            SQL.identifier(found.table, "msgtime"),
            direction,
            SQL.identifier(found.table, "seq"),
            direction,
        )
        found.limit = limit

    def _select(self, found):
        return found.select(
            *(SQL("%s AS %s", SQL.identifier(found.table, c), SQL(c)) for c in _MESSAGE_COLUMNS)
        )

    def _messages(self, rows, chat, member):
        """The client's rows of messages (already read as the user): their cards with names,
        media links and violations, in a fixed number of queries."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        media = self._media(
            [row["id"] for row in rows if row["sdkfileid"] or row["msgtype"] in _WITH_PARTS]
        )
        shown = [self._card(row, media.get(row["id"])) for row in rows]
        people = {row["sender"] for row in rows if row["sender"]}
        for card in shown:
            people |= _people(card)
        names = self._names({row["corp_id"] for row in rows}, people)
        violations = self._violations(ids)
        mine = self._mine(chat, member)
        messages = []
        for row in rows:
            card = self._card(row, media.get(row["id"]), names)
            sender = row["sender"] or ""
            messages.append(
                {
                    "id": row["id"],
                    "seq": row["seq"],
                    "msgid": row["msgid"],
                    "msgtime": _iso(row["msgtime"]),
                    "sender": sender,
                    "sender_name": names.get(sender) or sender,
                    "unsynced": bool(sender) and sender not in names,
                    "mine": bool(sender) and mine(sender),
                    "recalled": bool(row["recalled"]),
                    "card": card,
                    "violations": [
                        dict(hit, spans=_spans(content or "", offsets or [], card["text"]))
                        for hit, content, offsets in violations.get(row["id"], [])
                    ],
                }
            )
        return messages

    def _card(self, row, media=None, names=None):
        return cards.card(
            row["body"],
            msgid=row["msgid"],
            state=row["state"],
            error=row["error"] or "",
            recalled=bool(row["recalled"]),
            names=names,
            media=media,
        )

    def _mine(self, chat, member):
        """Whether a sender is the viewing side: the employee viewed, else any employee;
        in an internal chat, the chat's first member."""
        if member:
            userid = member.userid
            return lambda sender: sender == userid
        if chat and chat.kind == "internal":
            rows = self.env.execute_query(
                SQL(
                    """SELECT m.userid FROM wecom_conversation_member_rel r
                         JOIN wecom_member m ON m.id = r.wecom_member_id
                        WHERE r.wecom_conversation_id = %s ORDER BY m.id LIMIT 1""",
                    chat.id,
                )
            )
            first = rows[0][0] if rows else None
            return lambda sender: sender == first
        return lambda sender: id_kind(sender) == "member"

    def _media(self, message_ids):
        """{message id: {sdkfileid: media links and state}} of the messages' own media and
        of the media inside them (a part's link names its sequence)."""
        if not message_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """SELECT m.id, 0, m.sdkfileid, m.media_state, m.media_error, m.media_size,
                          a.mimetype, m.playable_attachment_id IS NOT NULL
                     FROM wecom_message m
                     LEFT JOIN ir_attachment a ON a.id = m.attachment_id
                    WHERE m.id = ANY(%(ids)s) AND m.sdkfileid IS NOT NULL
                   UNION ALL
                   SELECT p.message_id, p.sequence, p.sdkfileid, p.media_state, p.media_error,
                          p.media_size, a.mimetype, p.playable_attachment_id IS NOT NULL
                     FROM wecom_message_media p
                     LEFT JOIN ir_attachment a ON a.id = p.attachment_id
                    WHERE p.message_id = ANY(%(ids)s) AND p.sdkfileid IS NOT NULL
                    ORDER BY 1, 2""",
                ids=list(message_ids),
            )
        )
        media = {}
        for message_id, sequence, sdkfileid, state, error, size, mimetype, playable in rows:
            url = f"/wecom_archive/media/{message_id}" + (f"/{sequence}" if sequence else "")
            links = {
                "url": url,
                "play_url": f"{url}?play=1" if playable else "",
                "download_url": f"{url}?download=1",
                "state": state,
                "error": error or "",
                "mimetype": mimetype or "",
            }
            if size is not None:
                links["size"] = size
            media.setdefault(message_id, {}).setdefault(sdkfileid, links)
        return media

    def _violations(self, message_ids):
        """{message id: [(violation, content, offsets)]} of the violations the user may read."""
        found = self.env["wecom.violation"]._search([("message_id", "in", list(message_ids))])
        table = found.table
        rule = found.left_join(table, "rule_id", "wecom_keyword_rule", "id", "rule_id")
        found.order = SQL("%s", SQL.identifier(table, "id"))
        rows = self.env.execute_query(
            found.select(
                *(
                    SQL.identifier(table, name)
                    for name in ("id", "message_id", "severity", "words_hit", "state")
                ),
                SQL.identifier(rule, "name"),
                SQL.identifier(table, "content"),
                SQL.identifier(table, "offsets"),
            )
        )
        violations = {}
        for id_, message_id, severity, words, state, rule_name, content, offsets in rows:
            hit = {
                "id": id_,
                "rule": rule_name,
                "severity": severity,
                "words": words or "",
                "state": state,
            }
            violations.setdefault(message_id, []).append((hit, content, offsets))
        return violations

    # -- the side panel ---------------------------------------------------------------------
    @api.model
    @api.readonly
    def panel(self, conversation_id, member_id=None):
        """Who the chat is with: the customer and their followers, the group and its
        members, or the two colleagues."""
        chat = self._readable("wecom.conversation", conversation_id)
        member = self._member(member_id)
        self.env.flush_all()
        if chat.kind == "external":
            return {"kind": "external", "contact": self._contact_panel(chat.contact_id)}
        if chat.kind == "group":
            return {"kind": "group", "group": self._group_panel(chat)}
        return {"kind": "internal", "colleagues": self._colleagues(chat, member)}

    def _contact_panel(self, contact):
        if not contact:
            return False
        Contact = self.env["wecom.contact"]
        follows = self.env["wecom.contact.follow"].search([("contact_id", "=", contact.id)])
        states = self._labels("wecom.contact.follow", "state")
        partner = contact.partner_id
        return {
            "id": contact.id,
            "name": contact.name or contact.external_userid,
            "unsynced": not contact.name,
            "corp_name": contact.corp_name or "",
            "account": self._labels(Contact, "contact_type").get(contact.contact_type, ""),
            "added_on": _iso(contact.added_on),
            "source": self._labels(Contact, "add_way").get(contact.add_way, ""),
            "description": contact.description or "",
            "consent": self._labels(Contact, "consent_status")[contact.consent_status],
            "consent_status": contact.consent_status,
            "consent_time": _iso(contact.consent_time),
            "session": self._labels(Contact, "session_status")[contact.session_status],
            "session_status": contact.session_status,
            "partner": {"id": partner.id, "name": partner.name} if partner else False,
            "followers": [
                {
                    "member_id": follow.member_id.id,
                    "name": follow.member_id.name or follow.member_id.userid,
                    "remark": follow.remark or "",
                    "state": follow.state,
                    "state_label": states[follow.state],
                    "added_on": _iso(follow.added_on),
                    "deleted_on": _iso(follow.removed_on),
                }
                for follow in follows
            ],
        }

    def _group_panel(self, chat):
        group = chat.group_id
        unnamed = self._unnamed_group(chat.roomid)
        if not group:
            return {
                "id": False,
                "name": unnamed,
                "unsynced": True,
                "owner": "",
                "created_on": False,
                "notice": "",
                "dismissed": False,
                "members": [],
                "member_count": 0,
                "left_count": 0,
            }
        # The owner's and the customers' names are read like a chat's name: names only.
        [owner] = self.env.execute_query(
            SQL(
                """SELECT COALESCE(o.name, o.userid, '') FROM wecom_group g
                     LEFT JOIN wecom_member o ON o.id = g.owner_id WHERE g.id = %s""",
                group.id,
            )
        )[0]
        lines = self.env["wecom.group.member"].with_context(active_test=False)
        found = lines._search([("group_id", "=", group.id)])
        table = found.table

        def column(name):
            return SQL.identifier(table, name)

        found.order = SQL(
            "%s DESC, %s NULLS LAST, %s", column("active"), column("join_time"), column("id")
        )
        rows = self.env.execute_query(
            found.select(
                SQL(
                    """CASE WHEN %(external)s
                            THEN COALESCE((SELECT c.name FROM wecom_contact c
                                            WHERE c.id = %(contact)s), %(party)s)
                            ELSE COALESCE((SELECT COALESCE(m.name, m.userid) FROM wecom_member m
                                            WHERE m.id = %(member)s), %(party)s) END""",
                    external=column("external"),
                    contact=column("contact_id"),
                    member=column("member_id"),
                    party=column("party"),
                ),
                column("external"),
                column("join_time"),
                column("active"),
                column("left_on"),
            )
        )
        types = {
            "customer": lines._fields["contact_id"]._description_string(self.env),
            "member": lines._fields["member_id"]._description_string(self.env),
        }
        members = []
        for line_name, external, joined, active, left_on in rows:
            kind = "customer" if external else "member"
            members.append(
                {
                    "name": line_name,
                    "type": kind,
                    "type_label": types[kind],
                    "joined_on": _iso(joined),
                    "left": not active,
                    "left_on": _iso(left_on),
                }
            )
        left = sum(member["left"] for member in members)
        return {
            "id": group.id,
            "name": group.name or unnamed,
            "unsynced": not group.name,
            "owner": owner,
            "created_on": _iso(group.created_on),
            "notice": group.notice or "",
            "dismissed": group.dismissed,
            "members": members,
            "member_count": len(members) - left,
            "left_count": left,
        }

    def _colleagues(self, chat, member):
        found = (
            self.env["wecom.member"]
            .with_context(active_test=False)
            ._search(
                [
                    (
                        "id",
                        "in",
                        SQL(
                            """(SELECT wecom_member_id FROM wecom_conversation_member_rel
                                 WHERE wecom_conversation_id = %s)""",
                            chat.id,
                        ),
                    )
                ]
            )
        )
        table = found.table

        def column(name):
            return SQL.identifier(table, name)

        found.order = SQL(
            "%s = %s DESC, COALESCE(%s, %s), %s",
            column("id"),
            member.id or 0,
            column("name"),
            column("userid"),
            column("id"),
        )
        rows = self.env.execute_query(
            found.select(
                column("id"),
                column("name"),
                column("userid"),
                column("position"),
                column("archive_status"),
                SQL(
                    """ARRAY(SELECT d.name FROM wecom_department_wecom_member_rel r
                               JOIN wecom_department d ON d.id = r.wecom_department_id
                              WHERE r.wecom_member_id = %s ORDER BY d.parent_path, d.id)""",
                    column("id"),
                ),
            )
        )
        labels = self._labels("wecom.member", "archive_status")
        return [
            {
                "id": id_,
                "name": name or userid,
                "userid": userid,
                "position": position or "",
                "departments": departments,
                "archive_status_label": labels[status],
            }
            for id_, name, userid, position, status, departments in rows
        ]

    # -- 员工只读模式: 数据统计 ------------------------------------------------------------------
    @api.model
    @api.readonly
    def employee_stats(self, member_id):
        """The employee's customers (followed now), messages of their chats, group chats,
        customer chats and violations."""
        member = self._readable("wecom.member", member_id)
        self.env.flush_all()
        [(customers,)] = self.env.execute_query(
            SQL(
                """SELECT count(*) FROM wecom_contact_follow
                    WHERE member_id = %s AND state = 'current'""",
                member.id,
            )
        )
        [(messages, groups, private_chats)] = self.env.execute_query(
            SQL(
                """SELECT COALESCE(sum(c.message_count), 0),
                          count(*) FILTER (WHERE c.kind = 'group'),
                          count(*) FILTER (WHERE c.kind = 'external')
                     FROM wecom_conversation_member_rel r
                     JOIN wecom_conversation c ON c.id = r.wecom_conversation_id
                    WHERE r.wecom_member_id = %s""",
                member.id,
            )
        )
        [(violations,)] = self.env.execute_query(
            SQL(
                """SELECT count(*) FROM wecom_violation_member_rel WHERE member_id = %s""",
                member.id,
            )
        )
        return {
            "customers": customers,
            "messages": messages,
            "groups": groups,
            "private_chats": private_chats,
            "violations": violations,
        }

    # -- helpers ----------------------------------------------------------------------------
    def _readable(self, model, record_id):
        """The record, once the user may read it (AccessError or MissingError otherwise)."""
        record = self.env[model].browse(int(record_id))
        record.check_access("read")
        return record

    def _member(self, member_id):
        if not member_id:
            return self.env["wecom.member"]
        return self._readable("wecom.member", member_id)

    def _names(self, corp_ids, ids):
        return self.env["wecom.message"]._names_of(list(corp_ids), list(ids))

    def _unnamed_group(self, roomid):
        """The name of a group chat not synced yet: 群聊 (roomid)."""
        return f"{self._labels('wecom.conversation', 'kind')['group']} ({roomid})"

    def _labels(self, model, field):
        """{value: label} of a Selection field, in the user's language."""
        model = self.env[model] if isinstance(model, str) else model
        return dict(model._fields[field]._description_selection(self.env))
