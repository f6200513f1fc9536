import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..native.errors import SdkError
from ..native.sdk import SdkClient

_logger = logging.getLogger(__name__)


class WecomCorp(models.Model):
    """A WeCom corp whose conversations are archived (one per Odoo company)."""

    _name = "wecom.corp"
    _description = "WeCom Corp"
    _order = "company_id, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    corpid = fields.Char("Corp ID", required=True, help="企业ID, under 我的企业 → 企业信息.")
    secret = fields.Char(
        "Archive Secret",
        groups="base.group_system",
        copy=False,
        help="The Secret of 管理工具 → 会话内容存档.",
    )
    sdk_library_path = fields.Char(
        "SDK Library Path",
        default="/opt/wecom/libWeWorkFinanceSdk_C.so",
        required=True,
        help="Absolute path of libWeWorkFinanceSdk_C.so on the Odoo server.",
    )
    proxy = fields.Char(help="Optional proxy for the SDK, e.g. socks5://10.0.0.1:1080.")
    proxy_password = fields.Char(groups="base.group_system", copy=False, help="user:password")
    timeout = fields.Integer("Timeout (s)", default=30, required=True)
    batch_size = fields.Integer(default=1000, required=True)
    seq = fields.Integer(
        "Last Stored Seq",
        readonly=True,
        copy=False,
        help="Largest seq stored; the next pull asks for the records after it.",
    )
    key_ids = fields.One2many("wecom.corp.key", "corp_id", string="Private Keys")

    _sql_constraints = [
        ("corpid_company_uniq", "unique(company_id, corpid)", "This corp is already configured."),
        ("batch_size_range", "check(batch_size between 1 and 1000)", "Batch size is 1 to 1000."),
        ("timeout_positive", "check(timeout > 0)", "The timeout must be positive."),
    ]

    def _sdk_client(self):
        """An SdkClient for this corp (the caller closes it)."""
        self.ensure_one()
        corp_sudo = self.sudo()
        return SdkClient(
            corp_sudo.sdk_library_path,
            corp_sudo.corpid,
            corp_sudo.secret or "",
            proxy=corp_sudo.proxy or "",
            proxy_password=corp_sudo.proxy_password or "",
            timeout=corp_sudo.timeout,
        )

    def _sdk_error_message(self, error):
        return error.message(self.env.lang or "en_US")

    def action_test_connection(self):
        """Ask the SDK for one record after the stored seq and say plainly what happened."""
        self.ensure_one()
        try:
            with self._sdk_client() as client:
                records = client.get_chat_data(self.seq, limit=1)
        except SdkError as error:
            _logger.info("Test connection of corp %s failed: code %s", self.corpid, error.code)
            raise UserError(self._sdk_error_message(error)) from None
        message = (
            self.env._("Connected. New archived messages are waiting to be pulled.")
            if records
            else self.env._("Connected. No new archived messages right now.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("WeCom"), "message": message, "type": "success"},
        }

    @api.constrains("sdk_library_path")
    def _check_sdk_library_path(self):
        for corp in self:
            if not corp.sdk_library_path.startswith("/"):
                raise UserError(self.env._("The SDK library path must be absolute."))
