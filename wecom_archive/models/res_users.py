from odoo import api, fields, models

# Who reads what (manual §7 账号权限): a super admin (超级管理员) reads every archived
# member of the company, an archive admin (会话存档管理员) only the members in their scope.
ROLES = [
    ("super", "Super Admin"),
    ("admin", "Archive Admin"),
    ("none", "No Access"),
]
SCOPE_FIELDS = ("wecom_scope_department_ids", "wecom_scope_member_ids")
# Rights given on top of a role (账号权限 sets them too): the user's field, and its group.
RIGHTS = {
    "wecom_view_originals": "wecom_archive.group_wecom_sensitive_view",
    "wecom_may_export": "base.group_allow_export",
    "wecom_may_purge": "wecom_archive.group_wecom_purge",
}


class ResUsers(models.Model):
    _inherit = "res.users"

    wecom_scope_department_ids = fields.Many2many(
        "wecom.department",
        "wecom_scope_department_rel",
        "user_id",
        "department_id",
        string="Scope Departments",
        help="An archive admin reads the chats of the members of these departments and of "
        "all their subdepartments.",
    )
    wecom_scope_member_ids = fields.Many2many(
        "wecom.member",
        "wecom_scope_member_rel",
        "user_id",
        "member_id",
        string="Scope Members",
        help="An archive admin reads the chats of these members, wherever their department.",
    )
    wecom_scope_all_member_ids = fields.Many2many(
        "wecom.member",
        compute="_compute_wecom_scope_all_member_ids",
        compute_sudo=True,
        string="Members in Scope",
        help="The scope's members and the members of its departments and subdepartments, as "
        "they are now: what the record rules of an archive admin read.",
    )
    wecom_role = fields.Selection(
        ROLES, string="Archive Role", compute="_compute_wecom_role", compute_sudo=True
    )
    wecom_view_originals = fields.Boolean(
        "View Sensitive Originals",
        compute="_compute_wecom_role",
        compute_sudo=True,
        help="Unmasks phone numbers, bank cards, ID numbers, e-mail addresses and WeChat IDs "
        "in the chat viewer, one message at a time, each logged; exports them unmasked.",
    )
    wecom_may_export = fields.Boolean(
        "May Export",
        compute="_compute_wecom_role",
        compute_sudo=True,
        help="Exports lists and evidence packs of what the user reads (Odoo's export right, "
        "which is the same for every app).",
    )
    wecom_may_purge = fields.Boolean(
        "May Purge",
        compute="_compute_wecom_role",
        compute_sudo=True,
        help="Previews and runs the retention purge, in the user's scope.",
    )

    @api.depends("wecom_scope_department_ids", "wecom_scope_member_ids")
    def _compute_wecom_scope_all_member_ids(self):
        members_sudo = self.env["wecom.member"].sudo().with_context(active_test=False)
        for user in self:
            user.wecom_scope_all_member_ids = user.wecom_scope_member_ids | members_sudo.search(
                [("department_ids", "child_of", user.wecom_scope_department_ids.ids)]
            )

    def _compute_wecom_role(self):
        for user in self:
            if user.has_group("wecom_archive.group_wecom_archive_super"):
                user.wecom_role = "super"
            elif user.has_group("wecom_archive.group_wecom_archive_admin"):
                user.wecom_role = "admin"
            else:
                user.wecom_role = "none"
            for fname, group in RIGHTS.items():
                user[fname] = user.has_group(group)

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in SCOPE_FIELDS):
            self._wecom_scope_changed()
        return result

    @api.model
    def _wecom_scope_changed(self):
        """A scope, a member's departments or the department tree changed, or a member or
        department was archived or deleted: the record rules, cached per user in every
        worker, and the rules' scopes (the word matcher's, the reply-timeout watches') are
        read anew from the next request on (and from the next query in this one)."""
        self.env.registry.clear_cache()
        self.env["res.users"].invalidate_model(["wecom_scope_all_member_ids"])

    def _wecom_scope_description(self):
        """The role and scope in words, for the access log."""
        self.ensure_one()
        role = dict(self._fields["wecom_role"]._description_selection(self.env))[self.wecom_role]
        parts = [role]
        if self.wecom_role == "admin":
            parts += [d.display_name for d in self.wecom_scope_department_ids]
            parts += [m.display_name for m in self.wecom_scope_member_ids]
        parts += [
            self._fields[fname]._description_string(self.env) for fname in RIGHTS if self[fname]
        ]
        return ", ".join(parts)

    def action_wecom_change_scope(self):
        """修改权限: the wizard that sets this user's role and scope."""
        self.ensure_one()
        return self.env["wecom.scope.wizard"]._action_open(self)
