from odoo import models
from odoo.http import request

MEDIA_MODELS = ("wecom.message", "wecom.message.media")


def _first_request_of_a_download():
    """False for the later range requests of one playing or download (a player fetches a
    video in many pieces): one log row per download, not per piece."""
    if not request:
        return True
    ranges = request.httprequest.range
    return not ranges or not ranges.ranges or ranges.ranges[0][0] == 0


class IrBinary(models.AbstractModel):
    _inherit = "ir.binary"

    def _record_to_stream(self, record, field_name):
        """/web/content and /web/image: the media of an archived message is read only by
        who may read the message (the attachment's own check), and every download is logged."""
        stream = super()._record_to_stream(record, field_name)
        if (
            record._name == "ir.attachment"
            and record.res_model in MEDIA_MODELS
            and _first_request_of_a_download()
        ):
            message = self.env[record.res_model].browse(record.res_id)
            if message._name == "wecom.message.media":
                message = message.sudo().message_id.with_env(self.env)
            self.env["wecom.access.log"]._log("media", message, detail=record.name)
        return stream
