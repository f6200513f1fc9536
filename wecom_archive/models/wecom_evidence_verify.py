"""Verify an evidence pack (校验证据包): recompute every hash of a pack's files and messages
(lib/evidence_verify.py) and check each of its messages against the archive: its stored hash
and its stored JSON, hashed again now. Any pack file can be uploaded; a pack built here is
also checked against the SHA-256 recorded when it was built."""

import base64
import os
import tempfile

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import evidence_verify as lib
from ..lib import integrity

CHUNK = 2000


class WecomEvidenceVerify(models.TransientModel):
    _name = "wecom.evidence.verify"
    _description = "Verify an Evidence Pack"

    pack_id = fields.Many2one("wecom.evidence.pack", "Evidence Pack")
    file = fields.Binary("Pack File (ZIP)", attachment=False)
    filename = fields.Char()
    state = fields.Selection(
        [("new", "New"), ("ok", "Intact"), ("altered", "Altered")], default="new", readonly=True
    )
    report = fields.Text("Verification Report", readonly=True)

    def action_verify(self):
        self.ensure_one()
        if not self.file and not self.pack_id:
            raise UserError(self.env._("Upload a pack's ZIP file, or choose a pack."))
        if self.file:
            handle, path = tempfile.mkstemp(prefix="wecom_verify_", suffix=".zip")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(base64.b64decode(self.file))
                result = self._verify_path(path, None)
            finally:
                os.unlink(path)
        else:
            self.pack_id.action_verify()
            result = {
                "ok": self.pack_id.verify_state == "ok",
                "text": self.pack_id.verify_report,
            }
        self.write({"state": "ok" if result["ok"] else "altered", "report": result["text"]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [[False, "form"]],
            "target": "new",
        }

    @api.model
    def _verify_path(self, path, expected_sha256=None):
        """Check the pack at ``path``: {"ok", "text", "files", "messages", "archive"}.
        ``expected_sha256``: the pack's SHA-256 as recorded; without it, a pack this database
        built (its manifest names it) is checked against its record's, when readable."""
        try:
            result = lib.verify(path)
        except lib.NotAPack as exc:
            raise UserError(self.env._("Not an evidence pack: %(error)s", error=exc)) from None
        manifest = result["manifest"]
        if not expected_sha256:
            expected_sha256 = self._recorded_sha256(manifest)
        zip_ok = None if not expected_sha256 else result["zip_sha256"] == expected_sha256
        archive = self._check_archive(manifest)
        lines = lib.report(result)
        _ = self.env._
        if zip_ok is True:
            lines.insert(3, _("The pack's SHA-256 is the one recorded when it was built."))
        elif zip_ok is False:
            lines.insert(
                3,
                _(
                    "ALTERED: the pack's SHA-256 differs from the one recorded (%(sha)s).",
                    sha=expected_sha256,
                ),
            )
        words = {
            "altered": _("differs from the archive"),
            "gone": _("is no longer in the archive (or not in your scope)"),
        }
        for problem in archive["problems"]:
            lines.append(
                _(
                    "Archive: message seq %(seq)s msgid %(msgid)s %(what)s",
                    seq=problem["seq"],
                    msgid=problem["msgid"],
                    what=words[problem["problem"]],
                )
            )
        lines.append(
            _(
                "Archive: %(count)s messages checked against the archive, %(bad)s differ or are "
                "gone.",
                count=archive["checked"],
                bad=len(archive["problems"]),
            )
        )
        ok = result["ok"] and zip_ok is not False and not archive["problems"]
        return {
            "ok": ok,
            "text": "\n".join(lines),
            "files": result["files"],
            "messages": result["messages"],
            "archive": archive["problems"],
            "zip_ok": zip_ok,
        }

    def _recorded_sha256(self, manifest):
        pack = manifest.get("pack") or {}
        if pack.get("database") != self.env.cr.dbname or not isinstance(pack.get("id"), int):
            return None
        found = self.env["wecom.evidence.pack"].search([("id", "=", pack["id"])])
        return found.zip_sha256 or None

    def _check_archive(self, manifest):
        """Each message of the manifest against the archive, read as the user: gone (not
        found, or out of their scope), or altered (its stored hash, or the hash of its stored
        JSON recomputed now, differs from the manifest's)."""
        corpid = (manifest.get("corp") or {}).get("corpid")
        listed = manifest.get("messages") or []
        corp = self.env["wecom.corp"].search([("corpid", "=", corpid)], limit=1) if corpid else None
        problems = []
        if not corp:
            problems = [
                {"msgid": m.get("msgid"), "seq": m.get("seq"), "problem": "gone"} for m in listed
            ]
            return {"checked": len(listed), "problems": problems}
        Message = self.env["wecom.message"]
        self.env.flush_all()
        for start in range(0, len(listed), CHUNK):
            chunk = listed[start : start + CHUNK]
            found = Message._search(
                [("corp_id", "=", corp.id), ("msgid", "in", [m.get("msgid") for m in chunk])]
            )
            table = found.table
            rows = self.env.execute_query(
                found.select(
                    SQL.identifier(table, "msgid"),
                    SQL.identifier(table, "body_sha256"),
                    SQL("%s::text", SQL.identifier(table, "body")),
                )
            )
            stored = {msgid: (digest, body) for msgid, digest, body in rows}
            for message in chunk:
                msgid = message.get("msgid")
                if msgid not in stored:
                    problems.append({"msgid": msgid, "seq": message.get("seq"), "problem": "gone"})
                    continue
                digest, body = stored[msgid]
                expected = message.get("sha256")
                now = integrity.body_hash(body) if body is not None else None
                if (digest or None) != expected or now != expected:
                    problems.append(
                        {"msgid": msgid, "seq": message.get("seq"), "problem": "altered"}
                    )
        return {"checked": len(listed), "problems": problems}
