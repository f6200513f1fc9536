import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.translate import LazyTranslate

from ..lib.crypto import InvalidKeyError, load_private_key, public_key_fingerprint
from ..native.errors import SdkError
from .wecom_secret import SECRET_GROUP

_lt = LazyTranslate(__name__)
_logger = logging.getLogger(__name__)

KEY_PROBLEMS = {
    "not_pem": _lt("Not a PEM private key (expected '-----BEGIN … PRIVATE KEY-----')."),
    "public": _lt("This is a public key; paste the private key of this version."),
    "password": _lt("The private key is protected by a password; remove it."),
    "damaged": _lt("The private key cannot be read (damaged or not PEM)."),
    "not_rsa": _lt("The private key is not an RSA key."),
    "too_short": _lt("The RSA key is too short."),
}


class WecomCorpKey(models.Model):
    """The RSA private key of one public-key version (消息加密公钥 版本号)."""

    _name = "wecom.corp.key"
    _description = "WeCom Archive Private Key"
    _order = "corp_id, version desc"
    _rec_name = "version"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True)
    version = fields.Integer(required=True, help="The 版本号 shown beside 消息加密公钥.")
    private_key = fields.Text(
        "Private Key (stored)",
        groups=SECRET_GROUP,
        copy=False,
        help="PEM, PKCS#1 or PKCS#8, unencrypted.",
    )
    private_key_input = fields.Text(
        "Private Key",
        compute="_compute_private_key_input",
        inverse="_inverse_private_key_input",
        groups="base.group_system",
        help="PEM, PKCS#1 or PKCS#8, unencrypted. Once saved it is never shown again: paste "
        "another one to replace it.",
    )
    fingerprint = fields.Char(
        compute="_compute_fingerprint",
        store=True,
        compute_sudo=True,
        help="sha256 of the public part: compare it with the public key given to WeCom.",
    )
    active_since = fields.Datetime(default=fields.Datetime.now)

    _sql_constraints = [
        ("version_uniq", "unique(corp_id, version)", "This key version already exists."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        keys = super().create(vals_list)
        keys._reprocess_waiting()
        return keys

    def write(self, vals):
        result = super().write(vals)
        if "private_key" in vals or "version" in vals:
            self._reprocess_waiting()
        return result

    def _reprocess_waiting(self):
        """Messages that waited for these key versions are decrypted now."""
        for corp in self.corp_id:
            versions = self.filtered(lambda key, corp=corp: key.corp_id == corp).mapped("version")
            try:
                self.env["wecom.message"]._reprocess(corp, versions=versions)
            except SdkError as error:
                _logger.warning("corp %s: reprocessing waits: %s", corp.corpid, error.code)

    def _compute_private_key_input(self):
        self.private_key_input = False

    def _inverse_private_key_input(self):
        for key in self:
            if key.private_key_input:
                key.sudo().private_key = key.private_key_input.strip()

    @api.depends("private_key")
    def _compute_fingerprint(self):
        for key in self:
            try:
                key.fingerprint = public_key_fingerprint(load_private_key(key.private_key))
            except InvalidKeyError:
                key.fingerprint = False

    @api.constrains("private_key")
    def _check_private_key(self):
        for key in self.sudo():
            try:
                load_private_key(key.private_key)
            except InvalidKeyError as error:
                raise ValidationError(
                    self.env._(
                        "Key version %(version)s: %(problem)s",
                        version=key.version,
                        problem=KEY_PROBLEMS[error.reason],
                    )
                ) from None
