from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib.detectors import DETECTORS


class WecomDetector(models.Model):
    """A built-in detector (内置识别) a sensitive-word rule can use besides its words and
    regular expressions: one record per detector of lib.detectors, loaded as data."""

    _name = "wecom.detector"
    _description = "Built-in Detector"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True, help="Its key in lib.detectors.DETECTORS.")
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)

    _sql_constraints = [("code_uniq", "unique(code)", "One record per detector.")]

    @api.constrains("code")
    def _check_code(self):
        for detector in self:
            if detector.code not in DETECTORS:
                raise ValidationError(self.env._("Unknown detector: %(code)s", code=detector.code))
