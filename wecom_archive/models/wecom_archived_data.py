import functools

from odoo import api, models
from odoo.http import request
from odoo.osv import expression


class WecomArchivedData(models.AbstractModel):
    """Archived data read in an archive admin's scope: what its readers open, search and
    export is logged, and the records a query returned are checked against the scope in SQL."""

    _name = "wecom.archived.data"
    _description = "Archived Data"
    _access_log_open = None  # the action logged when one record is opened in a form
    _access_log_search_fields = ()  # fields whose searched values are logged as terms

    def web_read(self, specification):
        result = super().web_read(specification)
        if self._access_log_open and len(self) == 1 and self._wecom_read_for_itself():
            self.env["wecom.access.log"]._log(self._access_log_open, self)
        return result

    def _wecom_read_for_itself(self):
        """Whether this web_read opens these records, rather than showing them as the
        many2one of another model's form (Odoo's web_read reads a many2one's fields through
        the comodel's web_read, on that form's read-only cursor): only the former is an
        opening to log."""
        if self.env.cr.readonly:
            return False
        params = (request and request.params) or {}
        return params.get("model", self._name) == self._name

    @api.model
    def web_search_read(self, domain, specification, offset=0, limit=None, order=None, **kw):
        result = super().web_search_read(
            domain, specification, offset=offset, limit=limit, order=order, **kw
        )
        terms = [
            str(leaf[2])
            for leaf in domain or []
            if isinstance(leaf, (list, tuple))
            and len(leaf) == 3
            and leaf[0] in self._access_log_search_fields
        ]
        if terms and not offset:  # one row per search, not per page
            self.env["wecom.access.log"]._log(
                "search", self.browse(), detail=f"{self._description}: " + " · ".join(terms)
            )
        return result

    # Odoo runs these on a read-only cursor (api.readonly), where the log cannot be
    # written: they run read/write here.
    web_read._readonly = False
    web_search_read._readonly = False

    def _check_access(self, operation):
        """Odoo checks the record rules on records it already has with ``filtered_domain``,
        in Python, which reads every record's scope links (a message's members) first. The
        same domain in one indexed query costs a fraction, on a page of 100 messages."""
        ids = self._ids
        if not ids or not all(isinstance(id_, int) for id_ in ids):
            return super()._check_access(operation)
        if not self.env["ir.model.access"].check(self._name, operation, raise_exception=False):
            return super()._check_access(operation)
        domain = self.env["ir.rule"]._compute_domain(self._name, operation)
        if not domain:
            return None
        allowed = (
            self.sudo()
            .with_context(active_test=False)
            ._search(expression.AND([[("id", "in", list(set(ids)))], domain]))
        )
        forbidden = self - self.browse(allowed)
        if not forbidden:
            return None
        return forbidden, functools.partial(
            self.env["ir.rule"]._make_access_error, operation, forbidden
        )

    def export_data(self, fields_to_export):
        result = super().export_data(fields_to_export)
        self.env["wecom.access.log"]._log(
            "export",
            self,
            detail=self.env._(
                "%(count)s records of %(model)s: %(fields)s",
                count=len(self),
                model=self._description,
                fields=", ".join(fields_to_export),
            ),
        )
        return result

    def action_view_access_log(self):
        """「谁查看过」: the access log rows that concern this record."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_access_log_action"
        )
        field = "conversation_id" if self._name == "wecom.conversation" else "member_ids"
        action["domain"] = [(field, "in", self.ids)]
        action["context"] = {}
        return action
