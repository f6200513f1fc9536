from odoo import fields


class BigInteger(fields.Integer):
    """An Integer stored as int8: WeCom's seq is a 64-bit counter."""

    _column_type = ("int8", "int8")
