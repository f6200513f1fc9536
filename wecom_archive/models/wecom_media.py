import logging
import mimetypes
import os
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import config
from odoo.tools.sql import create_index

from ..lib.media_convert import MediaConvertError, needs_conversion, to_mp3
from ..native.errors import MediaIntegrityError, SdkError

_logger = logging.getLogger(__name__)

MEDIA_MAX_ATTEMPTS = 8
MEDIA_STATES = [
    ("none", "No Media"),
    ("pending", "To Download"),
    ("done", "Downloaded"),
    ("failed", "Failed"),
    ("too_large", "Too Large"),
]

MEDIA_CHECKS = [
    ("md5", "MD5 Verified"),
    ("size", "Size Verified"),
    ("none", "Unverified"),
]


class WecomMediaHolder(models.AbstractModel):
    """A media file WeCom archived (image, voice, video, file …) and its download: the
    media of a message, and the media inside a mixed message or a forwarded chat record."""

    _name = "wecom.media.holder"
    _description = "Archived Media"

    sdkfileid = fields.Char(readonly=True)
    media_state = fields.Selection(MEDIA_STATES, default="none", required=True)
    media_md5 = fields.Char(readonly=True)
    media_size = fields.Integer(readonly=True)
    media_filename = fields.Char(readonly=True)
    media_error = fields.Char(readonly=True)
    media_check = fields.Selection(
        MEDIA_CHECKS,
        "Media Check",
        readonly=True,
        help="How the downloaded file was checked: against the md5sum WeCom sent, against "
        "the size it sent, or neither (WeCom sent no md5sum or size, e.g. for meeting "
        "recordings: only the SDK's chunk index was checked).",
    )
    media_attempts = fields.Integer(readonly=True)
    media_next_try = fields.Datetime(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    playable_attachment_id = fields.Many2one(
        "ir.attachment",
        "Playable Audio",
        readonly=True,
        help="The voice or recording converted to MP3 when downloaded (WeCom sends AMR, which "
        "no browser plays); the original file is kept.",
    )

    def _media_partial_path(self):
        folder = os.path.join(config.filestore(self.env.cr.dbname), "wecom_partial")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{self._table}-{self.corp_id.id}-{self.id}")

    def _download_media(self, client):
        """Download this record's media into an attachment; record the outcome."""
        self.ensure_one()
        pipeline = self.with_context(wecom_pipeline=True)
        max_bytes = (self.corp_id.max_media_size_mb or 0) * 1024 * 1024
        if max_bytes and self.media_size > max_bytes:
            pipeline.write(
                {
                    "media_state": "too_large",
                    "media_error": self.env._(
                        "%(size)s MB is over the %(max)s MB limit of the corp.",
                        size=round(self.media_size / 1048576, 1),
                        max=self.corp_id.max_media_size_mb,
                    ),
                }
            )
            return
        path = self._media_partial_path()
        try:
            size, md5 = client.download_media(
                self.sdkfileid,
                path,
                md5sum=self.media_md5 or "",
                size=self.media_size or None,
                max_size=max_bytes or None,
                retry_attempts=3,
                base_delay=0.2,
            )
        except (SdkError, OSError) as error:
            attempts = self.media_attempts + 1
            message = error.message(self.env.lang) if isinstance(error, SdkError) else str(error)
            too_large = (
                isinstance(error, SdkError)
                and error.code == 10000
                and max_bytes
                and ("maximum" in (error.detail or ""))
            )
            retry = isinstance(error, (OSError, MediaIntegrityError)) or (
                isinstance(error, SdkError) and error.retryable
            )
            state = (
                "too_large"
                if too_large
                else ("pending" if retry and attempts < MEDIA_MAX_ATTEMPTS else "failed")
            )
            pipeline.write(
                {
                    "media_state": state,
                    "media_error": message,
                    "media_attempts": attempts,
                    "media_next_try": fields.Datetime.now() + timedelta(minutes=2**attempts),
                }
            )
            _logger.info("media of %s: %s (attempt %s)", self, state, attempts)
            return
        with open(path, "rb") as handle:
            raw = handle.read()
        name = self.media_filename or self._media_name()
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": raw,
                "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        os.unlink(path)
        playable, convert_error = self._playable_attachment(name, raw)
        pipeline.write(
            {
                "media_state": "done",
                "media_error": convert_error,
                "attachment_id": attachment.id,
                "playable_attachment_id": playable.id,
                "media_attempts": self.media_attempts + 1,
                "media_check": "md5" if self.media_md5 else ("size" if self.media_size else "none"),
                # what the file is, whatever WeCom announced (often nothing)
                "media_md5": md5,
                "media_size": size,
            }
        )
        _logger.debug("media of %s: %s bytes", self, size)

    def _playable_attachment(self, name, raw):
        """(attachment, error) of the browser-playable copy of audio a browser cannot play
        (AMR: voice, meeting recordings), converted once here; none is needed otherwise."""
        if not needs_conversion(raw):
            return self.env["ir.attachment"], False
        try:
            mp3 = to_mp3(raw)
        except MediaConvertError as error:
            _logger.warning("media of %s: not converted for playing: %s", self, error)
            return self.env["ir.attachment"], self.env._(
                "Downloaded, but not converted for playing in the browser: %(error)s",
                error=error,
            )
        playable = self.env["ir.attachment"].create(
            {
                "name": f"{os.path.splitext(name)[0]}.mp3",
                "raw": mp3,
                "mimetype": "audio/mpeg",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return playable, False

    def _media_name(self):
        """A file name when WeCom gave none."""
        raise NotImplementedError


class WecomMessageMedia(models.Model):
    """A media file inside a message's items: the images of a mixed message (图文混排),
    the images, voices, videos and files of a forwarded chat record (合并转发)."""

    _name = "wecom.message.media"
    _inherit = ["wecom.media.holder"]
    _description = "Media Inside a Message"
    _order = "message_id, sequence"

    message_id = fields.Many2one(
        "wecom.message", required=True, readonly=True, ondelete="cascade", index=True
    )
    corp_id = fields.Many2one("wecom.corp", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    sequence = fields.Integer(readonly=True, help="Its place among the message's media.")
    kind = fields.Char("Type", readonly=True, help="image, voice, video, file, emotion …")

    _sql_constraints = [
        ("part_uniq", "unique(message_id, sequence)", "A message's media are numbered once."),
    ]

    def init(self):
        create_index(
            self.env.cr,
            "wecom_message_media_part_pending_idx",
            self._table,
            ["corp_id", "id"],
            where="media_state = 'pending'",
        )

    def _media_name(self):
        return f"{self.message_id.msgid}-{self.sequence}"

    @api.depends("kind", "media_filename", "sequence")
    def _compute_display_name(self):
        for part in self:
            part.display_name = part.media_filename or f"{part.kind} {part.sequence}"
