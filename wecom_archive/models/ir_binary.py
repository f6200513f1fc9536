from odoo import models


class IrBinary(models.AbstractModel):
    _inherit = "ir.binary"

    def _record_to_stream(self, record, field_name):
        """/web/content and /web/image: the media of an archived message is read only by
        who may read the message (the attachment's own check), and every download is logged."""
        stream = super()._record_to_stream(record, field_name)
        if record._name == "ir.attachment" and record.res_model == "wecom.message":
            message = self.env["wecom.message"].browse(record.res_id)
            self.env["wecom.access.log"]._log("media", message, detail=record.name)
        return stream
