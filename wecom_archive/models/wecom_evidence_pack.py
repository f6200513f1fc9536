"""Evidence packs (证据包, issue #15 item 1): a chat (or a date range of it), a search's
results or a violation case, exported as one ZIP: the thread as a PDF (Odoo's report engine,
wkhtmltopdf; one QWeb template per card kind, report/), the original media files, an Excel
sheet and a manifest.json of every file's and every message's SHA-256 (lib/evidence.py).

The export runs as its requester (record rules: a scoped admin exports what they can read,
nothing more), needs the export right (base.group_allow_export) on top of an archive role,
and is written to the access log. Small exports are built at once, larger ones by a job
(progress on the form); the ZIP is readable by its requester only and deleted after
``wecom_archive.evidence_days`` days. A pack's verify recomputes every hash
(lib/evidence_verify.py, which also runs on its own) and checks each message against the
archive (models/wecom_evidence_verify.py)."""

import base64
import logging
import os
import subprocess
import tempfile
import time
from datetime import datetime, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config

from ..lib import cards
from ..lib import evidence as lib
from ..lib.detectors import mask_text
from ..models.wecom_corp import STAT_TZ
from .wecom_viewer import _MESSAGE_COLUMNS, _WITH_PARTS

_logger = logging.getLogger(__name__)

STATES = [
    ("queued", "Queued"),
    ("running", "Building"),
    ("done", "Ready"),
    ("failed", "Failed"),
    ("expired", "Expired"),
]
SCOPES = [("chat", "Chat"), ("search", "Search Results"), ("case", "Violation Case")]
DEFAULT_DAYS = 7  # a pack is kept this many days (ir.config_parameter wecom_archive.evidence_days)
SYNC_LIMIT = 2000  # exports up to this many messages are built at once, larger ones by the job
MAX_MESSAGES = 200_000  # the most messages one pack holds
CHUNK = 2000  # messages read at a time
EVIDENCE_LOCK = 0x7765_6570  # "weep": first key of a pack's build lock (second: its id)
PDF_PART = 2500  # at least this many messages per wkhtmltopdf process
CASE_AROUND = 50  # a case's pack: its message and this many before and after it in its chat
INLINE_IMAGE = 2 * 1024 * 1024  # pictures up to this size are shown in the PDF
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}


class WecomEvidencePack(models.Model):
    _name = "wecom.evidence.pack"
    _description = "Evidence Pack"
    _order = "id desc"

    name = fields.Char("Reference", readonly=True, copy=False)
    requester_id = fields.Many2one(
        "res.users",
        "Requested By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    scope = fields.Selection(SCOPES, "Export Of", required=True, default="chat")
    conversation_id = fields.Many2one("wecom.conversation", "Chat", index="btree_not_null")
    member_id = fields.Many2one(
        "wecom.member", "Employee", help="The employee whose side the thread is shown from."
    )
    date_from = fields.Date("From", help="Empty: from the chat's first message.")
    date_to = fields.Date("To", help="Empty: up to the chat's last message.")
    search_query = fields.Char("Search Keyword")
    search_params = fields.Json(readonly=True, help="The search's filters.")
    violation_id = fields.Many2one("wecom.violation", "Violation Case", index="btree_not_null")
    subject = fields.Char(
        "Export Scope",
        compute="_compute_subject",
        compute_sudo=True,
        help="The chat (and date range), the case or the search exported.",
    )
    reason = fields.Char(help="Why the pack is exported (stated in the pack).")
    state = fields.Selection(STATES, required=True, readonly=True, default="queued")
    progress = fields.Integer(readonly=True, help="Per cent built.")
    error = fields.Text(readonly=True)
    message_count = fields.Integer("Messages", readonly=True)
    media_count = fields.Integer("Media Files", readonly=True)
    attachment_id = fields.Many2one(
        "ir.attachment", "ZIP", readonly=True, ondelete="set null", index="btree_not_null"
    )  # indexed: every attachment deleted (the retention's files) looks for its packs
    filename = fields.Char(readonly=True)
    zip_sha256 = fields.Char("Pack SHA-256", readonly=True)
    zip_size = fields.Integer("Size (bytes)", readonly=True)
    tz = fields.Char("Time Zone", readonly=True, help="The time zone of the times in the pack.")
    built_on = fields.Datetime("Built On", readonly=True)
    build_seconds = fields.Float("Build Time (s)", readonly=True, digits=(16, 1))
    expires_on = fields.Datetime("Expires On", readonly=True)
    access_log_id = fields.Many2one("wecom.access.log", "Access Log", readonly=True)
    verify_state = fields.Selection(
        [("unchecked", "Not Verified"), ("ok", "Intact"), ("altered", "Altered")],
        "Verification",
        readonly=True,
        default="unchecked",
    )
    verify_report = fields.Text("Verification Report", readonly=True)
    verified_on = fields.Datetime(readonly=True)

    @api.depends("scope", "conversation_id", "date_from", "date_to", "violation_id", "search_query")
    def _compute_subject(self):
        # shown instead of the chat and case fields: a form reading those would count as
        # opening the chat or the case in the access log
        for pack in self:
            pack.subject = pack._scope_text()

    # -- requesting ---------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        """A pack is requested by its requester: the export right and the scope are checked
        as them, the request is written to the access log; it is built by action_build (at
        once when small) or the job."""
        if not self.env.su:
            self._check_export_right()
        for vals in vals_list:
            if not self.env.su:
                vals["requester_id"] = self.env.uid
                vals["company_id"] = self.env.company.id
                for key in ("state", "progress", "attachment_id", "zip_sha256", "expires_on"):
                    vals.pop(key, None)
        packs = super().create(vals_list)
        for pack in packs:
            pack._check_scope()
            pack_sudo = pack.sudo()
            pack_sudo.name = f"EP{pack.id:06d}"
            pack_sudo.tz = pack._tz()
            pack_sudo.access_log_id = pack._log_export(
                self.env._(
                    "Requested evidence pack %(name)s: %(scope)s",
                    name=pack.name,
                    scope=pack._scope_text(),
                )
            )
        return packs

    def write(self, vals):
        if not self.env.su and vals:
            raise UserError(self.env._("An evidence pack cannot be changed: request a new one."))
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            for pack in self:
                if pack.state in ("queued", "running"):
                    raise UserError(self.env._("A pack being built cannot be deleted."))
        attachments = self.sudo().attachment_id
        result = super().unlink()
        attachments.unlink()
        return result

    def _check_export_right(self):
        user = self.env.user
        if not user.has_group("wecom_archive.group_wecom_archive_admin"):
            raise AccessError(self.env._("Only archive admins export evidence packs."))
        if not user.has_group("base.group_allow_export"):
            raise AccessError(
                self.env._(
                    "Exporting archived data is a right of its own: ask a WeCom administrator."
                )
            )

    def _check_scope(self):
        """The pack's subject exists and the requester may read it (as them)."""
        self.ensure_one()
        if self.scope == "chat":
            if not self.conversation_id:
                raise UserError(self.env._("Choose the chat to export."))
            self.conversation_id.check_access("read")
            if self.date_from and self.date_to and self.date_from > self.date_to:
                raise UserError(self.env._("The start date is after the end date."))
        elif self.scope == "case":
            if not self.violation_id:
                raise UserError(self.env._("Choose the violation case to export."))
            self.violation_id.check_access("read")
        elif self.scope == "search" and not (self.search_query or "").strip():
            raise UserError(self.env._("A search's export needs its keyword."))
        if self.member_id:
            self.member_id.check_access("read")

    def _log_export(self, detail):
        """Write an export row to the access log (its targets: the chat or the case); return
        the row."""
        Log = self.env["wecom.access.log"]
        if self.violation_id:
            target = self.violation_id
        elif self.conversation_id:
            target = self.conversation_id
        else:
            target = self.env["wecom.conversation"]
        Log._log("export", target, detail=detail)
        return Log.sudo().search(
            [("user_id", "=", self.env.uid), ("action", "=", "export")], limit=1, order="id desc"
        )

    @api.model
    def request_chat(self, conversation_id, member_id=None, date_from=None, date_to=None):
        """The chat viewer's 导出证据包: request the chat's pack and build it (at once when
        small); returns the pack's form action."""
        pack = self.create(
            {
                "scope": "chat",
                "conversation_id": int(conversation_id),
                "member_id": int(member_id) if member_id else False,
                "date_from": date_from or False,
                "date_to": date_to or False,
            }
        )
        return pack.action_build()

    @api.model
    def request_search(self, query, filters=None):
        """A pack of a search's results: ``query`` and ``filters`` as search_messages takes
        them (member_id, contact_id, group_id, date_from, date_to, msgtype, recalled_only)."""
        allowed = {
            "member_id",
            "contact_id",
            "group_id",
            "date_from",
            "date_to",
            "msgtype",
            "recalled_only",
        }
        params = {k: v for k, v in (filters or {}).items() if k in allowed and v}
        pack = self.create({"scope": "search", "search_query": query, "search_params": params})
        return pack.action_build()

    def action_build(self):
        """Build a queued pack now when it is small, else hand it to the job. Returns the
        pack's form."""
        self.ensure_one()
        if self.requester_id != self.env.user:
            raise AccessError(self.env._("An evidence pack is built for its requester only."))
        if self.state == "queued":
            count = self._count()
            if count <= SYNC_LIMIT:
                self._build_now()
            else:
                self.env.ref("wecom_archive.ir_cron_wecom_evidence_build")._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [[False, "form"]],
            "target": "current",
        }

    def action_download(self):
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("The pack is not ready."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/wecom_archive/evidence/{self.id}/download",
            "target": "self",
        }

    def action_verify(self):
        """Recompute every hash of the pack as stored and check its messages against the
        archive; the report shows on the form."""
        self.ensure_one()
        if not self.attachment_id:
            raise UserError(self.env._("The pack's file is gone (expired or deleted)."))
        path = self.attachment_id._full_path(self.sudo().attachment_id.store_fname)
        result = self.env["wecom.evidence.verify"]._verify_path(path, self.zip_sha256)
        self.sudo().write(
            {
                "verify_state": "ok" if result["ok"] else "altered",
                "verify_report": result["text"],
                "verified_on": fields.Datetime.now(),
            }
        )
        return True

    # -- what a pack holds ----------------------------------------------------------------------
    def _tz(self):
        corp = self.conversation_id.corp_id or self.violation_id.corp_id
        return self.requester_id.tz or (corp and corp._stat_tz()) or STAT_TZ

    def _scope_text(self):
        if self.scope == "chat":
            dates = ""
            if self.date_from or self.date_to:
                dates = f" {self.date_from or '…'} – {self.date_to or '…'}"
            return f"{self.conversation_id.sudo().display_name}{dates}"
        if self.scope == "case":
            return self.violation_id.sudo().display_name or ""
        return f"“{self.search_query}”"

    def _local_start(self, day):
        """The UTC instant a local day starts at, in the pack's time zone."""
        import pytz

        local = pytz.timezone(self.tz or self._tz())
        start = local.localize(datetime.combine(day, datetime.min.time()))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    def _message_ids(self):
        """The ids of a case's or a search's messages the requester may read (None for a
        chat, whose messages are read by its Query)."""
        Message = self.env["wecom.message"]
        viewer = self.env["wecom.viewer"]
        if self.scope == "chat":
            return None
        if self.scope == "case":
            message = self.violation_id.message_id
            if not message or not message.conversation_id:
                return Message.search([("id", "in", message.ids)]).ids
            ids = [message.id]
            key = [message.msgtime, message.seq]
            for operator, order in (("<", "DESC"), (">", "ASC")):
                side = viewer._chat_messages(message.conversation_id)
                side.add_where(viewer._from_cursor(side, key, operator))
                viewer._order_by(side, order, CASE_AROUND)
                ids += [row[0] for row in self.env.execute_query(side.select("id"))]
            return ids
        ids, cursor = [], None
        params = dict(self.search_params or {})
        while len(ids) <= MAX_MESSAGES:
            page = Message.search_messages(self.search_query, cursor=cursor, limit=500, **params)
            ids += [row["id"] for row in page["results"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return ids

    def _query(self, ids=None):
        """The Query of the pack's messages, read as the requester (record rules apply):
        the chat's (in its date range), else those of ``ids``."""
        if self.scope != "chat":
            return self.env["wecom.message"]._search([("id", "in", ids or [])])
        found = self.env["wecom.viewer"]._chat_messages(self.conversation_id)
        msgtime = SQL.identifier(found.table, "msgtime")
        if self.date_from:
            found.add_where(SQL("%s >= %s", msgtime, self._local_start(self.date_from)))
        if self.date_to:
            end = self._local_start(self.date_to + timedelta(days=1))
            found.add_where(SQL("%s < %s", msgtime, end))
        return found

    def _count(self, ids=None):
        self.env.flush_all()
        if self.scope != "chat":
            ids = self._message_ids() if ids is None else ids
        found = self._query(ids)
        return self.env.execute_query(SQL("SELECT count(*) FROM (%s) q", found.select("id")))[0][0]

    def _rows(self, ids=None):
        """The pack's messages in (msgtime, seq) order, CHUNK at a time, as the viewer's
        rows plus their stored hash and JSON text."""
        viewer = self.env["wecom.viewer"]
        cursor = None
        while True:
            page = self._query(ids)
            table = page.table
            if cursor:
                page.add_where(viewer._from_cursor(page, cursor, ">"))
            viewer._order_by(page, "ASC", CHUNK)
            rows = self.env.execute_query_dict(
                page.select(
                    *(SQL("%s AS %s", SQL.identifier(table, c), SQL(c)) for c in _MESSAGE_COLUMNS),
                    SQL("%s AS body_sha256", SQL.identifier(table, "body_sha256")),
                    SQL("%s::text AS body_text", SQL.identifier(table, "body")),
                )
            )
            yield rows
            if len(rows) < CHUNK:
                return
            cursor = [rows[-1]["msgtime"], rows[-1]["seq"]]

    # -- building -------------------------------------------------------------------------------
    def _build_now(self, commit=False):
        """Build this pack: in the current transaction (a request's), or, ``commit`` (the
        job's), committing its state and progress as it goes so the form shows them. A
        session advisory lock keeps it to one builder; a pack left building by a killed job
        is failed by the next run (:meth:`_recover`)."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [EVIDENCE_LOCK, self.id])
        if not cr.fetchone()[0]:
            return
        try:
            cr.execute("SELECT state FROM wecom_evidence_pack WHERE id = %s", [self.id])
            if cr.fetchone()[0] != "queued":
                return
            pack_sudo = self.sudo()
            pack_sudo.write({"state": "running", "progress": 0, "error": False})
            self._commit(commit)
            started = time.perf_counter()
            commit = commit and not config["test_enable"]
            try:
                if commit:  # commits as it goes: no savepoint outlives them
                    self.with_context(wecom_evidence_commit=True)._build(started)
                else:
                    with cr.savepoint():
                        self._build(started)
            except Exception as exc:  # the pack says why it failed
                _logger.exception("evidence pack %s failed", self.name)
                if commit:
                    cr.rollback()
                    self.env.invalidate_all()
                pack_sudo.write({"state": "failed", "error": str(exc) or repr(exc), "progress": 0})
            self._commit(commit)
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", [EVIDENCE_LOCK, self.id])

    def _commit(self, commit):
        if commit and not config["test_enable"]:
            self.env.flush_all()
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _progress(self, percent):
        percent = int(percent)
        if percent == self.progress:
            return
        self.sudo().progress = percent
        self._commit(self.env.context.get("wecom_evidence_commit"))

    def _build(self, started):
        self.env.flush_all()
        ids = self._message_ids()
        total = max(self._count(ids), 1)
        if total > MAX_MESSAGES:
            raise UserError(
                self.env._(
                    "A pack holds at most %(max)s messages: choose a shorter date range.",
                    max=MAX_MESSAGES,
                )
            )
        now = fields.Datetime.now()
        tz = self.tz or self._tz()
        user = self.requester_id
        exported_at = lib.local_time(now, tz)
        watermark = f"{user.name} {exported_at[:16]} {self.name}"
        footer = self.env._(
            "Exported by %(name)s (%(login)s) at %(time)s | %(pack)s | %(scope)s",
            name=user.name,
            login=user.login,
            time=exported_at,
            pack=self.name,
            scope=self._scope_text(),
        )
        handle, path = tempfile.mkstemp(prefix="wecom_evidence_", suffix=".zip")
        os.close(handle)
        lines_handle, lines_path = tempfile.mkstemp(prefix="wecom_evidence_", suffix=".jsonl")
        os.close(lines_handle)
        writer = lib.PackWriter(path)
        try:
            shown, sheet, listed = [], [], []
            media_count = 0
            done = 0
            corp = self.env["wecom.corp"]
            # masking (models/wecom_masking.py): the viewer masks every card it builds, except
            # for a holder of 查看敏感信息原文, who exports originals; the others' pack
            # withholds the messages' JSON (their originals), listed with their hashes only
            originals = self.env["wecom.archived.data"]._wecom_may_unmask()
            viewer = self.env["wecom.viewer"]
            with open(lines_path, "wb") as lines:
                for rows in self._rows(ids):
                    if not rows:
                        break
                    corp = corp or self.env["wecom.corp"].browse(rows[0]["corp_id"])
                    unmasked = [row["id"] for row in rows] if originals else []
                    messages = viewer.with_context(wecom_unmasked_ids=unmasked)._messages(
                        rows, self.conversation_id or None, self.member_id
                    )
                    files = self._media_files(writer, rows, originals)
                    media_count += sum(len(v) for v in files.values())
                    for row, message in zip(rows, messages, strict=True):
                        item = self._shown(row, message, files.get(row["id"], {}), tz)
                        shown.append(item)
                        sheet.append(_sheet_row(len(shown), item, row))
                        line = lib.message_line(
                            row["body_text"] if row["state"] == "done" else None
                        )
                        lines.write(line + b"\n")
                        listed.append(
                            {
                                "msgid": row["msgid"],
                                "seq": row["seq"],
                                "msgtime": row["msgtime"].isoformat() + "Z"
                                if row["msgtime"]
                                else None,
                                "sha256": row["body_sha256"] or None,
                            }
                        )
                    done += len(rows)
                    self._progress(60 * done / total)
            if originals:
                writer.add_file(lib.MESSAGES, lines_path, kind="messages")
            title = self.env._("Evidence pack %(name)s", name=self.name)
            sheet_bytes = lib.write_sheet(
                sheet, title=f"{title} · {self._scope_text()}", note=footer
            )
            writer.add_bytes("messages.xlsx", sheet_bytes, kind="sheet")
            self._progress(65)
            read_at = time.perf_counter()
            pdf = self._pdf(shown, tz=tz, exported_at=exported_at, corp=corp)
            self._progress(90)
            pdf_at = time.perf_counter()
            pdf = lib.stamp_pdf(pdf, footer=footer, watermark=watermark)
            writer.add_bytes("messages.pdf", pdf, kind="pdf")
            _logger.info(
                "evidence pack %s: %s messages and %s files read and packed in %.1f s, "
                "PDF in %.1f s, stamped in %.1f s",
                self.name,
                len(listed),
                media_count,
                read_at - started,
                pdf_at - read_at,
                time.perf_counter() - pdf_at,
            )
            manifest = {
                "pack": {"name": self.name, "id": self.id, "database": self.env.cr.dbname},
                "corp": {"corpid": corp.corpid or "", "name": corp.name or ""},
                "exporter": {"name": user.name, "login": user.login, "id": user.id},
                "exported_at": now.isoformat() + "Z",
                "exported_at_local": exported_at,
                "timezone": tz,
                "watermark": watermark,
                "reason": self.reason or "",
                "scope": self._manifest_scope(),
                "message_count": len(listed),
                "media_count": media_count,
                "masked": not originals,
                "message_bodies": "included" if originals else "withheld",
                "hash": "sha256 of each file; of each message, the sha256 of its decrypted "
                "JSON as stored, in canonical form (keys sorted, no whitespace, UTF-8): "
                + (
                    "messages.jsonl holds that form, one message a line"
                    if originals
                    else "withheld from this masked export (the exporter may not see "
                    "originals): checked against the archive"
                ),
                "messages": listed,
            }
            digest = writer.close(manifest)
            writer = None
            with open(path, "rb") as zipped:
                data = zipped.read()
        finally:
            if writer is not None:
                writer.abort()
            os.unlink(lines_path)
            os.unlink(path)
        corp = corp or self.conversation_id.corp_id or self.violation_id.corp_id
        days = corp.sudo().evidence_days or int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("wecom_archive.evidence_days", DEFAULT_DAYS)
        )
        filename = f"{self.name}.zip"
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename,
                    "raw": data,
                    "mimetype": "application/zip",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self.sudo().write(
            {
                "state": "done",
                "progress": 100,
                "attachment_id": attachment.id,
                "filename": filename,
                "zip_sha256": digest,
                "zip_size": len(data),
                "message_count": len(listed),
                "media_count": media_count,
                "built_on": now,
                "build_seconds": time.perf_counter() - started,
                "expires_on": now + timedelta(days=days) if days > 0 else False,
            }
        )
        self.env["wecom.access.log"]._log(
            "export",
            self.violation_id or self.conversation_id or self.env["wecom.conversation"],
            detail=self.env._(
                "Evidence pack %(name)s built: %(count)s messages, %(media)s media files, "
                "SHA-256 %(sha)s",
                name=self.name,
                count=len(listed),
                media=media_count,
                sha=digest,
            ),
        )

    def _manifest_scope(self):
        scope = {"kind": self.scope, "text": self._scope_text()}
        if self.scope == "chat":
            scope.update(
                chat=self.conversation_id.sudo().display_name,
                chat_key=self.conversation_id.sudo().key,
                date_from=str(self.date_from or "") or None,
                date_to=str(self.date_to or "") or None,
            )
        elif self.scope == "case":
            scope.update(case=self.violation_id.sudo().name)
        else:
            scope.update(query=self.search_query, filters=self.search_params or {})
        return scope

    def _media_files(self, writer, rows, originals=True):
        """Add the media files of ``rows`` (their own and the parts inside them) to the pack:
        {message id: {sdkfileid: {"path", "mimetype", "data_uri"}}}."""
        ids = [row["id"] for row in rows if row["sdkfileid"] or row["msgtype"] in _WITH_PARTS]
        if not ids:
            return {}
        found = self.env.execute_query(
            SQL(
                """SELECT m.id, m.seq, 0, m.sdkfileid, a.store_fname, a.name, a.mimetype,
                          a.file_size
                     FROM wecom_message m JOIN ir_attachment a ON a.id = m.attachment_id
                    WHERE m.id = ANY(%(ids)s) AND m.sdkfileid IS NOT NULL
                   UNION ALL
                   SELECT m.id, m.seq, p.sequence, p.sdkfileid, a.store_fname, a.name,
                          a.mimetype, a.file_size
                     FROM wecom_message_media p
                     JOIN wecom_message m ON m.id = p.message_id
                     JOIN ir_attachment a ON a.id = p.attachment_id
                    WHERE p.message_id = ANY(%(ids)s) AND p.sdkfileid IS NOT NULL
                    ORDER BY 2, 3""",
                ids=ids,
            )
        )
        Attachment = self.env["ir.attachment"]
        files = {}
        for message_id, seq, sequence, sdkfileid, store_fname, name, mimetype, size in found:
            if not store_fname:
                continue
            source = Attachment._full_path(store_fname)
            if not os.path.isfile(source):
                continue
            suffix = f"-{sequence}" if sequence else ""
            name = name if originals else mask_text(name)
            path = writer.add_file(
                f"media/{seq}{suffix}-{lib.safe_name(name)}", source, kind="media"
            )
            entry = {"path": path, "mimetype": mimetype or "", "data_uri": ""}
            if mimetype in _IMAGE_TYPES and (size or 0) <= INLINE_IMAGE:
                with open(source, "rb") as image:
                    encoded = base64.b64encode(image.read()).decode()
                entry["data_uri"] = f"data:{mimetype};base64,{encoded}"
            files.setdefault(message_id, {}).setdefault(sdkfileid, entry)
        return files

    def _shown(self, row, message, files, tz):
        """A message as the PDF shows it: the viewer's message, its card's times local and
        its media's place in the pack."""
        card = _local_card(message["card"], files, tz)
        return {
            "seq": row["seq"],
            "msgid": row["msgid"],
            "time": lib.local_time(row["msgtime"], tz),
            "day": lib.local_time(row["msgtime"], tz)[:10],
            "sender": message["sender"],
            "sender_name": message["sender_name"],
            "mine": message["mine"],
            "recalled": message["recalled"],
            "violations": message["violations"],
            "card": card,
            "sha256": row["body_sha256"] or "",
        }

    def _pdf(self, shown, *, tz, exported_at, corp):
        """The thread's PDF (Odoo's report engine: QWeb, then wkhtmltopdf), as a list of
        PDFs: a large thread is cut in parts printed side by side, one wkhtmltopdf per CPU."""
        report = self.env.ref("wecom_archive.action_report_evidence_pack")
        values = {
            "pack": self,
            "tz": tz,
            "exported_at": exported_at,
            "corp": corp,
            "scope_text": self._scope_text(),
            "count": len(shown),
            "requester": self.requester_id,
            "doctype": Markup("<!DOCTYPE html>"),
        }
        size = max(PDF_PART, -(-len(shown) // (os.cpu_count() or 1)))
        parts = [shown[at : at + size] for at in range(0, len(shown), size)] or [[]]
        htmls = [
            str(
                self.env["ir.qweb"]._render(
                    "wecom_archive.evidence_pdf", dict(values, messages=part, cover=not n)
                )
            )
            for n, part in enumerate(parts)
        ]
        Report = self.env["ir.actions.report"]
        if len(htmls) == 1:
            return [Report._run_wkhtmltopdf(htmls, report_ref=report.report_name)]
        args = Report._build_wkhtmltopdf_args(report.get_paperformat(), False)
        with tempfile.TemporaryDirectory(prefix="wecom_evidence_pdf_") as tmp:
            running = []
            for n, html in enumerate(htmls):
                source, out = os.path.join(tmp, f"{n}.html"), os.path.join(tmp, f"{n}.pdf")
                with open(source, "w", encoding="utf-8") as handle:
                    handle.write(html)
                command = [_get_wkhtmltopdf_bin(), *args, source, out]
                running.append(
                    (
                        subprocess.Popen(
                            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                        ),
                        out,
                    )
                )
            pdfs = []
            for process, out in running:
                _stdout, err = process.communicate()
                if process.returncode not in (0, 1):
                    raise UserError(
                        self.env._(
                            "Wkhtmltopdf failed (error code: %(code)s): %(error)s",
                            code=process.returncode,
                            error=err[-1000:].decode(errors="replace"),
                        )
                    )
                with open(out, "rb") as handle:
                    pdfs.append(handle.read())
        return pdfs

    # -- the job ----------------------------------------------------------------------------
    @api.model
    def _cron_build(self):
        """Build the queued packs, one at a time, each as its requester; expire old ones."""
        self._recover()
        self._expire()
        self.env.cr.execute("SELECT id FROM wecom_evidence_pack WHERE state = 'queued' ORDER BY id")
        ids = [row[0] for row in self.env.cr.fetchall()]
        Cron = self.env["ir.cron"]
        for done, pack_id in enumerate(ids):
            pack = self.sudo().browse(pack_id)
            if not pack.exists() or pack.state != "queued":
                continue
            as_requester = pack.with_user(pack.requester_id).with_company(pack.company_id)
            as_requester.with_context(
                allowed_company_ids=pack.requester_id.company_ids.ids
            )._build_now(commit=True)
            Cron._notify_progress(done=done + 1, remaining=len(ids) - done - 1)

    @api.model
    def _recover(self):
        """Fail the packs left building by a job that was killed (nobody holds their lock)."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT id FROM wecom_evidence_pack WHERE state = 'running'")
        for (pack_id,) in cr.fetchall():
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [EVIDENCE_LOCK, pack_id])
            if cr.fetchone()[0]:
                self.sudo().browse(pack_id).write(
                    {
                        "state": "failed",
                        "progress": 0,
                        "error": self.env._("Interrupted while being built: request it again."),
                    }
                )
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", [EVIDENCE_LOCK, pack_id])

    @api.model
    def _expire(self):
        """Delete the ZIPs of the packs past their expiry date."""
        expired = self.sudo().search(
            [
                ("state", "=", "done"),
                ("expires_on", "!=", False),
                ("expires_on", "<", fields.Datetime.now()),
            ]
        )
        if expired:
            attachments = expired.attachment_id
            expired.write({"state": "expired", "attachment_id": False})
            attachments.unlink()


def _local_card(card, files, tz):
    """A copy of ``card`` for the PDF: its fields' times as local text, its media's file in
    the pack (and a picture's data URI), its children likewise."""
    out = dict(card)
    out["fields"] = [
        [label, lib.local_time(value, tz) if isinstance(value, int) else value]
        for label, value in card.get("fields") or []
    ]
    media = card.get("media")
    if media:
        media = dict(media)
        found = files.get(media.get("sdkfileid")) or {}
        media["pack_path"] = found.get("path", "")
        media["data_uri"] = found.get("data_uri", "")
        out["media"] = media
    out["children"] = [_local_card(child, files, tz) for child in card.get("children") or []]
    out["snippet"] = cards.snippet(card, limit=0)
    out["time_text"] = lib.local_time(card["time"], tz) if card.get("time") else ""
    return out


def _sheet_row(number, item, row):
    card = item["card"]
    violations = "；".join(f"{hit['rule'] or ''}: {hit['words']}" for hit in item["violations"])
    media = [card["media"]["pack_path"]] if card.get("media") and card["media"]["pack_path"] else []
    media += [
        child["media"]["pack_path"]
        for child in card["children"]
        if child.get("media") and child["media"].get("pack_path")
    ]
    text = card["text"] if card["kind"] in ("text", "markdown") else card["snippet"]
    return [
        number,
        item["time"],
        item["sender_name"] or "",
        item["sender"] or "",
        card["type_label"] or "",
        text or "",
        "是" if item["recalled"] else "",
        violations,
        "\n".join(media),
        row["seq"],
        row["msgid"],
        item["sha256"],
    ]


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    evidence_days = fields.Integer(
        "Keep Evidence Packs (days)",
        help="An evidence pack's ZIP is deleted this many days after it was built. 0: the "
        "system setting wecom_archive.evidence_days (7 days when unset).",
    )

    _sql_constraints = [
        ("evidence_days_positive", "check(evidence_days >= 0)", "Days cannot be negative."),
    ]


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    def action_evidence_pack(self):
        """The case form's 导出证据包: the case's message with the messages around it."""
        self.ensure_one()
        pack = self.env["wecom.evidence.pack"].create({"scope": "case", "violation_id": self.id})
        return pack.action_build()
