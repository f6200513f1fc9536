from odoo import http
from odoo.http import request


class WecomEvidence(http.Controller):
    @http.route(
        "/wecom_archive/evidence/<int:pack_id>/download",
        type="http",
        auth="user",
        readonly=False,  # the download is written to the access log
    )
    def download(self, pack_id):
        """An evidence pack's ZIP, to its requester only (the pack's rule: 404 for anyone
        else); every download is written to the access log."""
        pack = request.env["wecom.evidence.pack"].search([("id", "=", pack_id)])
        if not pack or pack.state != "done" or not pack.attachment_id:
            raise request.not_found()
        pack._log_export(request.env._("Downloaded evidence pack %(name)s", name=pack.name))
        stream = request.env["ir.binary"]._get_stream_from(pack.attachment_id)
        stream.download_name = pack.filename or f"{pack.name}.zip"
        return stream.get_response(as_attachment=True)
