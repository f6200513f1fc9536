# The Odoo-free core (native/, lib/) is also imported as a plain package — by pytest and by
# `python -m wecom_archive.native.corpus` — where the Odoo layer must not load.
if __name__.startswith("odoo.addons."):
    from . import controllers, models, wizard


def uninstall_hook(env):
    """Drop the functions the models created in SQL (the links' delete triggers, the search
    bigrams): Odoo drops the module's tables, and with them their triggers and indexes, not
    the functions."""
    env.cr.execute(
        r"""SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.proname LIKE 'wecom\_%' AND p.pronamespace = 'public'::regnamespace"""
    )
    for (function,) in env.cr.fetchall():
        env.cr.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")  # (names from pg_proc)
