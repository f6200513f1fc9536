from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.res_users import RIGHTS, ROLES

# The wizard's right fields, each the user's field of that right (res_users.RIGHTS).
WIZARD_RIGHTS = {
    "view_originals": "wecom_view_originals",
    "may_export": "wecom_may_export",
    "may_purge": "wecom_may_purge",
}


class WecomScopeWizard(models.TransientModel):
    """修改权限: an admin's role and, for an archive admin, the scope they read."""

    _name = "wecom.scope.wizard"
    _description = "Change Archive Permissions"

    user_id = fields.Many2one(
        "res.users", string="User", required=True, domain=[("share", "=", False)]
    )
    role = fields.Selection(ROLES, string="Role", required=True, default="admin")
    department_ids = fields.Many2many(
        "wecom.department",
        string="Departments",
        help="With all their subdepartments.",
    )
    member_ids = fields.Many2many("wecom.member", string="Members")
    view_originals = fields.Boolean(
        "View Sensitive Originals",
        help="查看敏感信息原文: unmask a message's personal data in the chat viewer (each time "
        "logged) and export it unmasked. Without it, it is masked (138****5678) everywhere.",
    )
    may_export = fields.Boolean(
        "May Export",
        help="导出: lists exported to Excel and evidence packs, of what the role reads. It is "
        "Odoo's export right: the same for every app.",
    )
    may_purge = fields.Boolean(
        "May Purge",
        help="清理: preview and run the retention purge now, within the role's scope.",
    )

    @api.model
    def _action_open(self, user=None):
        context = {}
        if user:
            context = {
                "default_user_id": user.id,
                "default_role": user.wecom_role,
                "default_department_ids": user.sudo().wecom_scope_department_ids.ids,
                "default_member_ids": user.sudo().wecom_scope_member_ids.ids,
                **{
                    f"default_{name}": user.sudo()[user_field]
                    for name, user_field in WIZARD_RIGHTS.items()
                },
            }
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Permissions"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    @api.onchange("user_id")
    def _onchange_user_id(self):
        if self.user_id:
            user_sudo = self.user_id.sudo()
            self.role = user_sudo.wecom_role
            self.department_ids = user_sudo.wecom_scope_department_ids
            self.member_ids = user_sudo.wecom_scope_member_ids
            for name, user_field in WIZARD_RIGHTS.items():
                self[name] = user_sudo[user_field]

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("wecom_archive.group_wecom_manager"):
            raise AccessError(self.env._("Only WeCom administrators change archive permissions."))
        # Changing groups needs more than a WeCom administrator has: done as superuser, for
        # exactly these two groups and this user's scope, and logged.
        user_sudo = self.user_id.sudo()
        if self.role != "super" and user_sudo.has_group("wecom_archive.group_wecom_manager"):
            raise UserError(
                self.env._(
                    "%(user)s is a WeCom administrator and sees every chat: remove them from "
                    "that group in Settings first.",
                    user=user_sudo.name,
                )
            )
        before = user_sudo._wecom_scope_description()
        super_group = self.env.ref("wecom_archive.group_wecom_archive_super")
        admin_group = self.env.ref("wecom_archive.group_wecom_archive_admin")
        groups = {
            "super": [(4, super_group.id)],
            "admin": [(3, super_group.id), (4, admin_group.id)],
            "none": [(3, super_group.id), (3, admin_group.id)],
        }[self.role]
        for name, user_field in WIZARD_RIGHTS.items():
            # Odoo's export right serves other apps too: "no access" leaves it as ticked
            granted = self[name] and (self.role != "none" or name == "may_export")
            groups.append((4 if granted else 3, self.env.ref(RIGHTS[user_field]).id))
        landing = self.env.ref("wecom_archive.wecom_chat_viewer_action")
        values = {
            "groups_id": groups,
            "wecom_scope_department_ids": [(6, 0, self.department_ids.ids)],
            "wecom_scope_member_ids": [(6, 0, self.member_ids.ids)],
        }
        if self.role == "none":
            if user_sudo.action_id.id == landing.id:
                values["action_id"] = False
        elif not user_sudo.action_id:
            values["action_id"] = landing.id  # an archive admin lands in the archive
        user_sudo.write(values)
        self.env["wecom.access.log"]._log(
            "scope_change",
            user_sudo,
            detail=f"{before} → {user_sudo._wecom_scope_description()}",
        )
        return {"type": "ir.actions.act_window_close"}
