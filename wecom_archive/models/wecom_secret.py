"""Secrets are write-only in the interface.

A secret (the archive Secret, API secrets, callback keys, private keys) is stored in a field
of the group ``group_wecom_secret_store``, which nobody is given: no read, search, export or
RPC of any user returns it, the system administrator included; the code reads it as
superuser. The form shows whether one is set and offers ``<name>_input``, an empty
password box whose value replaces the stored one (system administrators only).
"""

from odoo import fields

SECRET_GROUP = "wecom_archive.group_wecom_secret_store"


def write_only(storage, string, **kwargs):
    """The write-only box replacing ``storage`` (a field named ``<storage>_input``)."""

    def compute(records):
        for record in records:
            record[f"{storage}_input"] = False

    def inverse(records):
        for record in records:
            value = record[f"{storage}_input"]
            if value:
                record.sudo()[storage] = value.strip()

    return fields.Char(
        string,
        compute=compute,
        inverse=inverse,
        groups="base.group_system",
        copy=False,
        **kwargs,
    )


def is_set(storage, string):
    """Whether ``storage`` holds a value (a field named ``<storage>_set``)."""

    def compute(records):
        for record in records:
            record[f"{storage}_set"] = bool(record.sudo()[storage])

    return fields.Boolean(string, compute=compute, depends=[storage])
