import re

from odoo import http
from odoo.addons.web.controllers.binary import Binary
from odoo.http import request

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
