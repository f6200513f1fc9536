# The Odoo-free core (native/, lib/) is also imported as a plain package — by pytest and by
# `python -m wecom_archive.native.corpus` — where the Odoo layer must not load.
if __name__.startswith("odoo.addons."):
    from . import controllers, models, wizard
