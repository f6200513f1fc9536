import re

from odoo import http
from odoo.addons.web.controllers.binary import Binary
from odoo.http import request
from odoo.tools import str2bool

# /web/content/<id>… and /web/image/<id>…: an attachment (by id or model), possibly an archived
# message's media, whose download is written to the access log.
_ATTACHMENT_BY_ID = re.compile(r"^/web/(content|image)/(\d+([-/]|$)|ir\.attachment/|wecom\.)")


def _readonly(controller):
    """Odoo serves these routes on a read-only cursor; a download of an attachment by id
    may have to be logged, so those get a read/write one (the rest stays read-only)."""
    return not _ATTACHMENT_BY_ID.match(request.httprequest.path)


class WecomBinary(Binary):
    @http.route(readonly=_readonly)
    def content_common(self, **kwargs):
        return super().content_common(**kwargs)

    @http.route(readonly=_readonly)
    def content_image(self, **kwargs):
        return super().content_image(**kwargs)


class WecomMedia(http.Controller):
    @http.route(
        [
            "/wecom_archive/media/<int:message_id>",
            "/wecom_archive/media/<int:message_id>/<int:part>",
        ],
        type="http",
        auth="user",
        readonly=False,  # the download is written to the access log
    )
    def media(self, message_id, part=0, play=False, download=False):
        """The media of an archived message (``part``: the n-th inside a mixed message or a
        chat record; ``play``: its browser-playable copy), read as the user: only who may
        read the message gets it (403 otherwise), with HTTP range requests for audio and
        video. Every download is logged (ir.binary)."""
        message = request.env["wecom.message"].browse(message_id).exists()
        if not message:
            raise request.not_found()
        message.check_access("read")
        holder = message.media_part_ids.filtered(lambda p: p.sequence == part) if part else message
        attachment = holder.attachment_id
        if str2bool(play, False) and holder.playable_attachment_id:
            attachment = holder.playable_attachment_id
        if not attachment:
            raise request.not_found()
        stream = request.env["ir.binary"]._get_stream_from(attachment)
        return stream.get_response(as_attachment=str2bool(download, False))
