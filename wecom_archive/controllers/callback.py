import logging

from odoo import http
from odoo.http import request

from ..lib.callback import CallbackCrypto, CallbackError

_logger = logging.getLogger(__name__)


class WecomCallback(http.Controller):
    """WeCom's callback URL (接收事件服务器): the URL-verification handshake (GET) and the
    signed, AES-encrypted events (POST), one URL per corp."""

    @http.route(
        "/wecom_archive/callback/<int:corp_id>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def callback(self, corp_id, msg_signature="", timestamp="", nonce="", echostr="", **_kw):
        corp = request.env["wecom.corp"].sudo().browse(corp_id).exists()
        if not corp or not corp.callback_token or not corp.callback_aes_key:
            return request.not_found()
        try:
            crypto = CallbackCrypto(corp.callback_token, corp.callback_aes_key, corp.corpid)
            if request.httprequest.method == "GET":
                return request.make_response(
                    crypto.verify_url(msg_signature, timestamp, nonce, echostr),
                    headers=[("Content-Type", "text/plain; charset=utf-8")],
                )
            event = crypto.decrypt_message(
                msg_signature, timestamp, nonce, request.httprequest.get_data()
            )
        except CallbackError as error:
            _logger.warning("corp %s: callback rejected (%s)", corp.corpid, error.code)
            return request.make_response(
                "rejected", headers=[("Content-Type", "text/plain")], status=403
            )
        corp._handle_callback(event)
        return request.make_response("success", headers=[("Content-Type", "text/plain")])
