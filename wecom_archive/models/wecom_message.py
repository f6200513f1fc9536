import functools
import json
import logging
import time
from datetime import UTC, datetime

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.sql import create_index, drop_index, make_index_name

from ..lib import cards, pgarray
from ..lib.decrypt import DONE, wire_msgid
from ..lib.integrity import body_hash, parsed_hash
from ..lib.normalize import conversation_key, id_kind
from ..native.errors import SdkLibraryError
from .bigint import BigInteger
from .links import LinkMany2many, install_link_triggers

_logger = logging.getLogger(__name__)

STATES = [
    ("done", "Stored"),
    ("no_key", "Key Missing"),
    ("decrypt_error", "Decryption Failed"),
    ("parse_error", "Malformed"),
]
# Columns the pipeline may still write on an archived message; the rest never changes.
PIPELINE_FIELDS = frozenset(
    {
        "recalled",
        "media_state",
        "media_error",
        "media_attempts",
        "attachment_id",
        "media_next_try",
        "media_md5",
        "media_size",
        "media_check",
        "playable_attachment_id",
    }
)


_CONTROL_BYTES = bytes(range(0x20))  # (never inside a multi-byte UTF-8 character)


def _jsonb(message, plaintext):
    """(The message's JSON as PostgreSQL's jsonb takes it, its hash): the original text
    when it is clean (no re-encoding), hashed from the message as parsed; else re-encoded
    without raw control characters and NULs, and hashed from that text."""
    text = plaintext.decode("utf-8", "replace")
    clean = len(plaintext.translate(None, _CONTROL_BYTES)) == len(plaintext)
    if clean and b"\\u0000" not in plaintext:
        return text, parsed_hash(message.body)
    text = json.dumps(_without_nul(message.body), ensure_ascii=False)
    return text, body_hash(text)


def _sql_text(value):
    """PostgreSQL text cannot hold NUL characters."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


# A batch's message times are converted by the store, the statistics, the reply waits and
# the scan: each conversion once (datetimes are immutable, sharing them is safe).
@functools.lru_cache(maxsize=8192)
def _ms_to_datetime(ms):
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


# The columns of a stored message that its decrypted body gives (_message_values), their
# values while it cannot be decrypted, and the columns _store_batch inserts, in order.
_MESSAGE_COLUMNS = (
    "action",
    "msgtype",
    "known_type",
    "sender",
    "receivers",
    "roomid",
    "msgtime",
    "text",
    "revoke_msgid",
    "recalled",
    "conversation_id",
    "sdkfileid",
    "media_state",
    "media_md5",
    "media_size",
    "media_filename",
)
_NO_MESSAGE_VALUES = tuple(
    {"recalled": False, "media_state": "none"}.get(column) for column in _MESSAGE_COLUMNS
)
_STORE_COLUMNS = (
    "seq",
    "msgid",
    "publickey_ver",
    "state",
    "error",
    "encrypt_random_key",
    "encrypt_chat_msg",
    "raw_text",
    "body",
    "body_sha256",  # lib.integrity.body_hash: the hash chain's (models/wecom_integrity.py)
    *_MESSAGE_COLUMNS,
)
# The PostgreSQL types of the columns _store_batch inserts (the others: text), and its
# statement: one array literal per column (lib.pgarray), cast and unnested — not a VALUES
# row per message, nor an ARRAY[...] of one constant per value, for the client to format
# and the server to parse — and the batch's constants (corp, company, time) once.
_STORE_TYPES = {
    "seq": "int8",
    "publickey_ver": "int4",
    "body": "jsonb",
    "known_type": "bool",
    "msgtime": "timestamp",
    "recalled": "bool",
    "conversation_id": "int4",
    "media_size": "int4",
}
_STORE_LITERALS = tuple(pgarray.for_type(_STORE_TYPES.get(c, "text")) for c in _STORE_COLUMNS)
_STORE_QUERY = f"""
    INSERT INTO wecom_message (corp_id, company_id, {", ".join(_STORE_COLUMNS)}, create_date)
    SELECT %(corp)s, %(company)s, m.*, %(now)s
      FROM unnest({
    ", ".join(f"%(c{n})s::{_STORE_TYPES.get(c, 'text')}[]" for n, c in enumerate(_STORE_COLUMNS))
}) AS m
    ON CONFLICT (corp_id, msgid) DO NOTHING
    RETURNING msgid, id, seq, state = 'done', body_sha256"""


class WecomMessage(models.Model):
    """One archived message, kept whole and never edited."""

    _name = "wecom.message"
    _inherit = ["wecom.archived.data", "wecom.media.holder"]
    _access_log_open = "view_message"
    _access_log_search_fields = ("text",)
    _description = "Archived WeCom Message"
    _order = "msgtime desc, seq desc"
    _rec_name = "msgid"
    # No author nor editor: WeCom wrote it, the pipeline stored it, nobody edits it; and no
    # two foreign keys to res.users checked at every insert (as ir.profile). When it was
    # stored is create_date.
    _log_access = False

    create_date = fields.Datetime("Stored At", readonly=True, default=fields.Datetime.now)

    # corp_id leads the (corp_id, msgid) unique index: no index of its own.
    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, index=True)
    seq = BigInteger(readonly=True)
    msgid = fields.Char("Message ID", required=True, readonly=True)
    publickey_ver = fields.Integer("Key Version", readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True)
    error = fields.Char(readonly=True)
    encrypt_random_key = fields.Text(readonly=True)
    encrypt_chat_msg = fields.Text(readonly=True)
    raw_text = fields.Text("Decrypted Text", readonly=True, help="Kept when it is not JSON.")
    action = fields.Char(readonly=True)
    msgtype = fields.Char("Type Code", readonly=True)
    known_type = fields.Boolean(readonly=True)
    sender = fields.Char("Sender ID", readonly=True)
    receivers = fields.Char("Receiver IDs", readonly=True, help="The tolist ids, space separated.")
    roomid = fields.Char(readonly=True)
    msgtime = fields.Datetime("Time", readonly=True, index=True)
    body = fields.Json(readonly=True)
    # searched through the bigram index (models/wecom_message_search.py)
    text = fields.Text("Text", readonly=True)
    revoke_msgid = fields.Char("Recalls", readonly=True, index="btree_not_null")
    recalled = fields.Boolean(readonly=True)
    # indexed with msgtime and seq (init): a chat's pages and its last message
    conversation_id = fields.Many2one("wecom.conversation", readonly=True)
    # links without foreign keys (models/links.py)
    member_ids = LinkMany2many(
        "wecom.member", "wecom_message_member_rel", string="Archived Members", readonly=True
    )
    department_ids = LinkMany2many(
        "wecom.department", "wecom_message_department_rel", string="Departments", readonly=True
    )
    sender_name = fields.Char(
        "Sender",
        compute="_compute_card",
        help="The sender's name; an id not synced yet is shown as it is, marked 未同步.",
    )
    receiver_names = fields.Char("Receivers", compute="_compute_card")
    type_label = fields.Char("Type", compute="_compute_card")
    summary = fields.Char("Content", compute="_compute_card", help="The message in one line.")
    media_part_ids = fields.One2many(
        "wecom.message.media", "message_id", string="Media Inside", readonly=True
    )

    _sql_constraints = [
        ("msgid_uniq", "unique(corp_id, msgid)", "A message is archived once per corp."),
    ]

    def init(self):
        # Every index slows the bulk insert down: only the few rows the jobs look for
        # (failed records, pending media) are indexed by state, and a chat's messages by
        # one index in their order, which also serves every lookup by conversation_id (it
        # replaces the plain index conversation_id had).
        drop_index(self.env.cr, make_index_name(self._table, "conversation_id"), self._table)
        create_index(
            self.env.cr,
            "wecom_message_conversation_time_idx",
            self._table,
            ["conversation_id", "msgtime", "seq"],
        )
        create_index(
            self.env.cr,
            "wecom_message_to_reprocess_idx",
            self._table,
            ["corp_id", "id"],
            where="state != 'done'",
        )
        create_index(
            self.env.cr,
            "wecom_message_media_pending_idx",
            self._table,
            ["corp_id", "id"],
            where="media_state = 'pending'",
        )
        install_link_triggers(self.env.cr)

    @api.depends("body", "state", "error", "recalled", "sender")
    def _compute_card(self):
        """The message as its card says it (lib.cards): names, not ids; the type's Chinese
        name; its content in one line, whatever its type."""
        names = self._party_names()
        for message in self:
            shown = cards.card(
                message.body,
                msgid=message.msgid,
                state=message.state,
                error=message.error or "",
                recalled=message.recalled,
                names=names,
            )
            message.sender_name = message._party_name(message.sender, names)
            message.receiver_names = "、".join(
                message._party_name(party, names) for party in (message.receivers or "").split()
            )
            message.type_label = shown["type_label"]
            message.summary = cards.snippet(shown, limit=120)

    @api.depends("sender", "msgtime")
    @api.depends_context("tz")
    def _compute_display_name(self):
        """A message as people name it where it is a link (a case's message, a hold's, a
        media file's): who sent it and when, in the reader's time zone — not its msgid,
        and not its content (a link's name is not masked)."""
        names = self._names_of(self.corp_id.ids, list({m.sender for m in self if m.sender}))
        for message in self:
            when = message.msgtime and fields.Datetime.context_timestamp(message, message.msgtime)
            parts = (
                message._party_name(message.sender, names),
                when and when.strftime("%Y-%m-%d %H:%M:%S"),
            )
            message.display_name = " · ".join(filter(None, parts)) or message.msgid

    def _party_name(self, party, names):
        if not party:
            return False
        return names.get(party) or self.env._("%(id)s (not synced)", id=party)

    def _party_names(self):
        """{userid or external_userid: name} of the people these messages name, in one query
        (names only: the people of a message one may read)."""
        ids = {message.sender for message in self if message.sender}
        for message in self:
            ids.update((message.receivers or "").split())
        return self._names_of(list(set(self.corp_id.ids)), list(ids))

    @api.model
    def _names_of(self, corp_ids, ids):
        """{userid or external_userid: name} of ``ids`` in these corps, in one query."""
        if not ids:
            return {}
        self.env["wecom.member"].flush_model(["userid", "name"])
        self.env["wecom.contact"].flush_model(["external_userid", "name"])
        self.env.cr.execute(
            """SELECT userid, name FROM wecom_member
                WHERE corp_id = ANY(%(corps)s) AND userid = ANY(%(ids)s) AND name IS NOT NULL
               UNION ALL
               SELECT external_userid, name FROM wecom_contact
                WHERE corp_id = ANY(%(corps)s) AND external_userid = ANY(%(ids)s)
                  AND name IS NOT NULL""",
            {"corps": corp_ids, "ids": ids},
        )
        return dict(self.env.cr.fetchall())

    # -- archived rows are immutable ---------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("wecom_pipeline"):
            raise UserError(self.env._("Archived messages come only from WeCom."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.context.get("wecom_pipeline") or set(vals) - PIPELINE_FIELDS:
            raise UserError(self.env._("Archived messages cannot be changed."))
        return super().write(vals)

    def unlink(self):
        if not self.env.context.get("wecom_pipeline"):
            raise UserError(self.env._("Archived messages cannot be deleted."))
        return super().unlink()

    # -- storing a pulled batch --------------------------------------------------------------
    @api.model
    def _store_batch(self, corp, results):
        """Insert one batch of decrypted records (set-based) and attach what they carry.

        Runs in the caller's transaction, together with the seq update that covers the
        batch; a replayed batch inserts nothing twice (msgid is unique per corp).
        Returns the ids of the newly inserted messages.
        """
        done = [item.message for item in results if item.state == DONE]
        links = dict(zip((m.msgid for m in done), self._links_for(corp, done), strict=True))
        rows = []
        for item in results:
            record = item.record
            ver, seq = record.get("publickey_ver"), record.get("seq")
            head = (seq, wire_msgid(record), ver)
            if item.state == DONE:
                plaintext = item.plaintext
                values = self._message_values(item.message, links[item.message.msgid]).values()
                if b"\x00" in plaintext or b"\\u0000" in plaintext:  # rare: sanitise
                    values = map(_sql_text, values)
                body, digest = _jsonb(item.message, plaintext)
                tail = (DONE, None, None, None, None, body, digest, *values)
            else:
                # Nothing lost: the encrypted payload stays until it can be processed.
                raw_text = item.plaintext.decode("utf-8", "replace") if item.plaintext else None
                tail = (
                    item.state,
                    item.error or None,
                    record.get("encrypt_random_key"),
                    record.get("encrypt_chat_msg"),
                    raw_text,
                    None,
                    None,
                    *_NO_MESSAGE_VALUES,
                )
                tail = tuple(map(_sql_text, tail))
            rows.append((*head, *tail))
        if not rows:
            return []
        columns = zip(_STORE_LITERALS, zip(*rows, strict=True), strict=True)
        params = {f"c{n}": literal(column) for n, (literal, column) in enumerate(columns)}
        params.update(corp=corp.id, company=corp.company_id.id, now=fields.Datetime.now())
        self.env.cr.execute(_STORE_QUERY, params)
        returned = self.env.cr.fetchall()  # (msgid, id, seq, decrypted, hash) of each new row
        inserted = {msgid: message_id for msgid, message_id, *_chained in returned}
        # A msgid WeCom delivers twice in one batch is stored once (its first row), and is
        # counted and scanned once.
        stored, seen = [], set()
        for m in done:
            if m.msgid in inserted and m.msgid not in seen:
                seen.add(m.msgid)
                stored.append((inserted[m.msgid], m, links[m.msgid]))
        self._attach(corp, stored)
        self.env["wecom.violation"]._scan(corp, stored)
        self.env["wecom.integrity.block"]._chain_stored(
            corp,
            [
                (message_id, seq, msgid, done, digest)
                for msgid, message_id, seq, done, digest in returned
            ],
        )
        self.env.invalidate_all()
        return list(inserted.values())

    @api.model
    def _message_values(self, message, link):
        """The message's own columns (_MESSAGE_COLUMNS, in that order)."""
        media = message.media
        return {
            "action": message.action,
            "msgtype": message.msgtype,
            "known_type": message.known,
            "sender": message.sender,
            "receivers": " ".join(message.tolist),
            "roomid": message.roomid or None,
            "msgtime": _ms_to_datetime(message.msgtime),
            "text": message.text or None,
            "revoke_msgid": message.revoke_msgid or None,
            "recalled": False,
            "conversation_id": link[0],
            "sdkfileid": media.sdkfileid if media else None,
            "media_state": "pending" if media else "none",
            "media_md5": (media.md5sum or None) if media else None,
            "media_size": media.size if media else None,
            "media_filename": media.filename if media else None,
        }

    @api.model
    def _links_for(self, corp, messages):
        """(conversation id, member ids, department ids) of each message, creating the
        conversations, and the members and contacts not synced yet (by id only)."""
        kinds = {}
        for message in messages:
            for party in message.participants:
                kinds[party] = id_kind(party)
        members = self._ensure_rows(
            corp, "wecom_member", "userid", [p for p, k in kinds.items() if k == "member"]
        )
        contacts = self._ensure_rows(
            corp,
            "wecom_contact",
            "external_userid",
            [p for p, k in kinds.items() if k == "external"],
        )
        departments = self._member_departments(list(members.values()))
        chats = self._ensure_conversations(corp, messages, contacts)
        links, departments_of = [], {}  # the departments of each set of members, once
        for message in messages:
            member_ids = [members[p] for p in message.participants if p in members]
            key = tuple(member_ids)
            department_ids = departments_of.get(key)
            if department_ids is None:
                department_ids = departments_of[key] = sorted(
                    {d for m in member_ids for d in departments.get(m, ())}
                )
            links.append((chats.get(message.msgid), member_ids, department_ids))
        return links

    @api.model
    def _attach(self, corp, stored):
        """What newly stored messages bring: member and department links, conversation
        counts and times, recalls (whichever of the two arrived first) and consent.
        ``stored``: (message id, lib Message, link) triples."""
        if not stored:
            return
        cr = self.env.cr
        message_members, message_departments, chat_members, chat_departments = [], [], [], []
        stats = {}
        for message_id, message, (chat_id, member_ids, department_ids) in stored:
            message_members += [(message_id, m) for m in member_ids]
            message_departments += [(message_id, d) for d in department_ids]
            if not chat_id:
                continue
            chat_members += [(chat_id, m) for m in member_ids]
            chat_departments += [(chat_id, d) for d in department_ids]
            when = _ms_to_datetime(message.msgtime)
            first, last, count = stats.get(chat_id, (when, when, 0))
            if when:
                first, last = min(first or when, when), max(last or when, when)
            stats[chat_id] = (first, last, count + 1)
        pairs = (
            ("wecom_message_member_rel", "wecom_message_id", "wecom_member_id", message_members),
            (
                "wecom_message_department_rel",
                "wecom_message_id",
                "wecom_department_id",
                message_departments,
            ),
            (
                "wecom_conversation_member_rel",
                "wecom_conversation_id",
                "wecom_member_id",
                chat_members,
            ),
            (
                "wecom_conversation_department_rel",
                "wecom_conversation_id",
                "wecom_department_id",
                chat_departments,
            ),
        )
        self._store_parts(corp, stored)
        for table, left, right, rows in pairs:
            if rows:
                lefts, rights = zip(*dict.fromkeys(rows), strict=True)
                # a message's links are new with it (its pairs deduplicated above): a plain
                # insert, no conflict to look for; a chat's may exist already
                conflict = "ON CONFLICT DO NOTHING" if left == "wecom_conversation_id" else ""
                cr.execute(
                    f"""INSERT INTO {table} ({left}, {right})
                        SELECT * FROM unnest(%s::int[], %s::int[]) {conflict}""",
                    [pgarray.literal(lefts), pgarray.literal(rights)],
                )
        if stats:
            execute_values(
                cr,
                """UPDATE wecom_conversation c
                      SET message_count = c.message_count + v.n,
                          first_msgtime = LEAST(c.first_msgtime, v.first),
                          last_msgtime = GREATEST(c.last_msgtime, v.last)
                     FROM (VALUES %s) AS v(id, first, last, n)
                    WHERE c.id = v.id""",
                [(chat, first, last, n) for chat, (first, last, n) in stats.items()],
                template="(%s, %s::timestamp, %s::timestamp, %s)",
                page_size=len(stats),
            )
        self._mark_recalls(corp, stored)
        self._record_consents(corp, [m for _id, m, _link in stored if m.consent])
        self.env["wecom.stat.chat.day"]._upkeep(corp, stored)
        self.env["wecom.reply.wait"]._upkeep(corp, stored)

    def _mark_recalls(self, corp, stored):
        """A recall marks its target, whichever of the two arrived first: the targets of the
        batch's recalls are marked by msgid (the unique index), and a recall whose target
        is not there yet waits in wecom_recall_pending (WeCom numbers a recall after its
        target: it waits only for a target stored late, or never archived), where the
        batch's new messages look for theirs. That small table, not the messages' index on
        revoke_msgid, is searched at every batch: a new archive's table has no statistics
        yet, and the planner scanned it."""
        cr = self.env.cr
        recalls = list({m.revoke_msgid for _id, m, _link in stored if m.revoke_msgid})
        if recalls:
            cr.execute(
                """WITH marked AS (
                       UPDATE wecom_message SET recalled = true
                        WHERE corp_id = %(corp)s AND msgid = ANY(%(recalls)s::text[])
                    RETURNING msgid)
                   INSERT INTO wecom_recall_pending (corp_id, msgid)
                   SELECT %(corp)s, r FROM unnest(%(recalls)s::text[]) r
                    WHERE r NOT IN (SELECT msgid FROM marked)
                   ON CONFLICT DO NOTHING""",
                {"corp": corp.id, "recalls": pgarray.literal(recalls)},
            )
        cr.execute(
            """WITH found AS (
                   DELETE FROM wecom_recall_pending
                    WHERE corp_id = %(corp)s AND msgid = ANY(%(new)s::text[])
                RETURNING msgid)
               UPDATE wecom_message SET recalled = true
                WHERE corp_id = %(corp)s AND msgid IN (SELECT msgid FROM found)""",
            {"corp": corp.id, "new": pgarray.literal(m.msgid for _id, m, _link in stored)},
        )

    def _store_parts(self, corp, stored):
        """The media inside mixed messages and chat records, to download like a message's."""
        now, uid = fields.Datetime.now(), self.env.uid
        rows = [
            (
                *(message_id, corp.id, corp.company_id.id, n, part.kind, part.sdkfileid),
                *(part.md5sum or None, part.size or None, part.filename, "pending"),
                *(uid, now, uid, now),
            )
            for message_id, message, _link in stored
            for n, part in enumerate(message.parts, 1)
        ]
        if rows:
            execute_values(
                self.env.cr,
                """INSERT INTO wecom_message_media (message_id, corp_id, company_id, sequence,
                       kind, sdkfileid, media_md5, media_size, media_filename, media_state,
                       create_uid, create_date, write_uid, write_date)
                   VALUES %s ON CONFLICT (message_id, sequence) DO NOTHING""",
                rows,
            )

    def _ensure_rows(self, corp, table, column, keys):
        """{key: id} of members/contacts, created (by id only) when not known yet."""
        if not keys:
            return {}
        query = (
            f"SELECT {column}, id FROM {table} WHERE corp_id = %s AND {column} = ANY(%s::text[])"
        )
        self.env.cr.execute(query, [corp.id, pgarray.literal(keys)])
        found = dict(self.env.cr.fetchall())
        new = [key for key in keys if key not in found]
        if not new:  # (most batches: the directory sync or earlier batches made them)
            return found
        now, uid = fields.Datetime.now(), self.env.uid
        if table == "wecom_member":
            extra, extra_values = ", archive_status, active", ", 'none', true"
        else:
            extra = ", consent_status, session_status, follower_count, former_follower_count"
            extra_values = ", 'unknown', 'none', 0, 0"
        company = corp.company_id.id
        execute_values(
            self.env.cr,
            f"""INSERT INTO {table} (corp_id, company_id, {column}{extra},
                                     create_uid, create_date, write_uid, write_date)
                VALUES %s ON CONFLICT (corp_id, {column}) DO NOTHING""",
            [(corp.id, company, key, uid, now, uid, now) for key in new],
            template=f"(%s, %s, %s{extra_values}, %s, %s, %s, %s)",
            page_size=len(new),
        )
        self.env.cr.execute(query, [corp.id, pgarray.literal(new)])
        found.update(self.env.cr.fetchall())
        return found

    def _member_departments(self, member_ids):
        if not member_ids:
            return {}
        self.env.cr.execute(
            """SELECT wecom_member_id, array_agg(wecom_department_id)
                 FROM wecom_department_wecom_member_rel
                WHERE wecom_member_id = ANY(%s::int[]) GROUP BY wecom_member_id""",
            [pgarray.literal(member_ids)],
        )
        return dict(self.env.cr.fetchall())

    def _ensure_conversations(self, corp, messages, contacts):
        """{msgid: conversation id}; switch events belong to no conversation."""
        wanted, by_message = {}, {}
        for message in messages:
            if message.msgtype == "switch" or not message.participants:
                continue
            kind, key = conversation_key(message.roomid, message.sender, message.tolist)
            contact = next((contacts[p] for p in message.participants if p in contacts), None)
            wanted[key] = (
                kind,
                message.roomid or None,
                None if kind == "group" else key,
                contact if kind == "external" else None,
            )
            by_message[message.msgid] = key
        if not wanted:
            return {}
        # the chats known already (most, after the first batches) are read, not upserted
        # (a row version each, at every batch): only the new ones are inserted, and a
        # customer's contact set where it was missing
        self.env.cr.execute(
            """SELECT key, id, contact_id FROM wecom_conversation
                WHERE corp_id = %s AND key = ANY(%s::text[])""",
            [corp.id, pgarray.literal(wanted)],
        )
        ids, missing_contact = {}, []
        for key, id_, contact_id in self.env.cr.fetchall():
            ids[key] = id_
            if contact_id is None and wanted[key][3]:
                missing_contact.append((id_, wanted[key][3]))
        if missing_contact:
            self.env.cr.execute(
                """UPDATE wecom_conversation c SET contact_id = v.contact_id
                     FROM unnest(%s::int[], %s::int[]) AS v(id, contact_id)
                    WHERE c.id = v.id AND c.contact_id IS NULL""",
                [pgarray.literal(column) for column in zip(*missing_contact, strict=True)],
            )
        new = [key for key in wanted if key not in ids]
        if new:
            now, uid = fields.Datetime.now(), self.env.uid
            rows = execute_values(
                self.env.cr,
                """INSERT INTO wecom_conversation (corp_id, company_id, key, kind, roomid,
                                                   party_ids, contact_id, message_count,
                                                   create_uid, create_date, write_uid,
                                                   write_date)
                   VALUES %s
                   ON CONFLICT (corp_id, key) DO UPDATE
                       SET contact_id = COALESCE(wecom_conversation.contact_id,
                                                 EXCLUDED.contact_id)
                   RETURNING key, id""",
                [
                    (corp.id, corp.company_id.id, key, *wanted[key], 0, uid, now, uid, now)
                    for key in new
                ],
                page_size=len(new),
                fetch=True,
            )
            ids.update(rows)
        self.env.cr.execute(
            """UPDATE wecom_conversation c SET group_id = g.id
                 FROM wecom_group g
                WHERE c.id = ANY(%s::int[]) AND c.group_id IS NULL
                  AND g.corp_id = c.corp_id AND g.roomid = c.roomid""",
            [pgarray.literal(ids.values())],
        )
        return {msgid: ids[key] for msgid, key in by_message.items()}

    def _record_consents(self, corp, messages):
        """agree/disagree messages set the contact's consent; the latest one wins."""
        latest = {}
        for message in messages:
            external, status, when_ms = message.consent
            if external not in latest or when_ms > latest[external][1]:
                latest[external] = (status, when_ms)
        if not latest:
            return
        contacts = self._ensure_rows(corp, "wecom_contact", "external_userid", list(latest))
        execute_values(
            self.env.cr,
            """UPDATE wecom_contact c SET consent_status = v.status, consent_time = v.at
                 FROM (VALUES %s) AS v(id, status, at)
                WHERE c.id = v.id AND (c.consent_time IS NULL OR c.consent_time <= v.at)""",
            [(contacts[e], status, _ms_to_datetime(ms)) for e, (status, ms) in latest.items()],
            template="(%s, %s, %s::timestamp)",
        )

    # -- processing failed records again -----------------------------------------------------
    @api.model
    def _reprocess(self, corp, versions=None, commit=False):
        """Decrypt and parse again the messages that failed (missing key, decryption,
        malformed JSON), from the encrypted payload kept for them. Returns how many are
        stored now, or None when a pull of the corp holds the lock. ``commit``: one
        transaction per batch (background jobs); else all in the caller's transaction."""
        fixed = 0
        domain = "corp_id = %s AND state != 'done' AND id > %s"
        params = [corp.id]
        if versions:
            domain += " AND publickey_ver = ANY(%s)"
            params.append(list(versions))
        last_id = 0
        isolated = []
        with corp._decryptor() as dec:
            while True:
                if commit:
                    corp._begin()
                if not corp._try_lock():
                    return None
                self.env.cr.execute(
                    f"""SELECT id, seq, msgid, publickey_ver, encrypt_random_key, encrypt_chat_msg
                          FROM wecom_message WHERE {domain}
                         ORDER BY id LIMIT 1000""",
                    [params[0], last_id, *params[1:]],
                )
                rows = self.env.cr.dictfetchall()
                if not rows:
                    break
                last_id = rows[-1]["id"]
                decrypted = dec.decrypt_batch(rows)
                isolated += [item for item in decrypted if item.isolated]
                done = [item.message for item in decrypted if item.state == DONE]
                links = dict(zip((m.msgid for m in done), self._links_for(corp, done), strict=True))
                stored = []
                for row, item in zip(rows, decrypted, strict=True):
                    if item.state != DONE:
                        self.env.cr.execute(
                            "UPDATE wecom_message SET state = %s, error = %s WHERE id = %s",
                            [item.state, item.error, row["id"]],
                        )
                        continue
                    link = links[item.message.msgid]
                    values = self._message_values(item.message, link)
                    del values["recalled"]  # a recall stored meanwhile marked it already
                    values.update(
                        body=_jsonb(item.message, item.plaintext)[0],  # hashed when chained
                        state=DONE,
                        error=None,
                        encrypt_random_key=None,
                        encrypt_chat_msg=None,
                        raw_text=None,
                    )
                    assignments = ", ".join(f"{column} = %s" for column in values)
                    self.env.cr.execute(
                        f"UPDATE wecom_message SET {assignments} WHERE id = %s",
                        [*map(_sql_text, values.values()), row["id"]],
                    )
                    stored.append((row["id"], item.message, link))
                self._attach(corp, stored)
                self.env["wecom.violation"]._scan(corp, stored)
                self.env["wecom.integrity.block"]._chain_joined(corp, [m[0] for m in stored])
                fixed += len(stored)
                if commit:
                    corp._commit()
        if isolated or not versions:  # what is still set aside after a retry of all
            self.env.cr.execute(
                "UPDATE wecom_corp SET isolated_error = %s WHERE id = %s",
                [corp._isolated_note(isolated) or None, corp.id],
            )
        self.env.invalidate_all()
        return fixed

    # -- media -------------------------------------------------------------------------------
    @api.model
    def _cron_download_media(self, time_budget=None):
        """Download pending media — of messages, and inside mixed messages and chat
        records — one file per transaction (SKIP LOCKED: workers share), within Odoo's time
        limit for crons."""
        if time_budget is None:
            time_budget = self.env["wecom.corp"]._cron_time_budget(share=1 / 4)
        deadline = time.monotonic() + time_budget
        for corp in self.env["wecom.corp"].search([]):
            try:
                client = corp._sdk_client()
            except SdkLibraryError as error:
                _logger.warning("corp %s: %s", corp.corpid, error)
                continue
            with client:
                for holders in (self, self.env["wecom.message.media"]):
                    while time.monotonic() < deadline:
                        self.env.flush_all()
                        corp._begin()
                        self.env.cr.execute(
                            f"""SELECT id FROM {holders._table}
                                 WHERE corp_id = %s AND media_state = 'pending'
                                   AND (media_next_try IS NULL
                                        OR media_next_try <= now() at time zone 'UTC')
                                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""",
                            [corp.id],
                        )
                        row = self.env.cr.fetchone()
                        if not row:
                            break
                        holders.browse(row[0])._download_media(client)
                        corp._commit()
        remaining = self.search_count([("media_state", "=", "pending")]) + self.env[
            "wecom.message.media"
        ].search_count([("media_state", "=", "pending")])
        if remaining and time.monotonic() >= deadline:
            self.env.ref("wecom_archive.ir_cron_wecom_media")._trigger()

    def action_retry_media(self):
        """重新下载媒体, a WeCom administrator's button: these messages' media are downloaded
        again by the next run of the media job. Archived messages are read-only to every
        user: the pipeline's download fields are reset as superuser, on messages the user
        may read."""
        if not self.env.user.has_group("wecom_archive.group_wecom_manager"):
            raise AccessError(self.env._("Only WeCom administrators download media again."))
        self.check_access("read")
        pending = self.filtered(lambda m: m.media_state in ("failed", "pending"))
        pending.sudo().with_context(wecom_pipeline=True).write(
            {"media_state": "pending", "media_next_try": False, "media_attempts": 0}
        )
        self.env.ref("wecom_archive.ir_cron_wecom_media")._trigger()


class WecomRecallPending(models.Model):
    """A recall whose message is not stored yet (wecom.message._mark_recalls): a few rows,
    written and read with SQL by the pipeline only."""

    _name = "wecom.recall.pending"
    _description = "Recall Waiting for Its Message"
    _log_access = False

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade")
    msgid = fields.Char("Recalled Message ID", required=True)

    _sql_constraints = [
        ("corp_msgid_uniq", "unique(corp_id, msgid)", "A recalled message waits once."),
    ]
