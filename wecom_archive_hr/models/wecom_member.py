from collections import defaultdict

from odoo import _, fields, models
from odoo.exceptions import UserError


class WecomMember(models.Model):
    _inherit = "wecom.member"

    employee_id = fields.Many2one(
        "hr.employee",
        string="Employee",
        index="btree_not_null",
        ondelete="set null",
        domain="[('company_id', 'in', [company_id, False])]",
        help="The HR employee this member is. Linked by the directory sync through the "
        "employee's user, work email or (when unambiguous) name, or set by hand.",
    )

    def _link_employees(self):
        """Link members without an employee to one of their company's employees: the
        employee of their Odoo user, else the only one with their email as work email,
        else the only one with their name. An employee linked to another member of the
        same corp is left alone; the member's Odoo user is filled from the employee's."""
        members = self.filtered(lambda m: not m.employee_id and m.company_id)
        if not members:
            return
        Employee = self.env["hr.employee"].sudo()
        employees = Employee.search([("company_id", "in", members.company_id.ids)])
        taken = defaultdict(set)  # corp -> employees linked already
        for member in self.sudo().search(
            [("corp_id", "in", members.corp_id.ids), ("employee_id", "!=", False)]
        ):
            taken[member.corp_id].add(member.employee_id)
        by_user, by_email, by_name = {}, defaultdict(list), defaultdict(list)
        for employee in employees:
            company = employee.company_id
            if employee.user_id:
                by_user[company, employee.user_id] = employee
            if employee.work_email:
                by_email[company, employee.work_email.strip().lower()].append(employee)
            by_name[company, employee.name.strip()].append(employee)
        member_names = defaultdict(int)
        for member in members:
            if member.name:
                member_names[member.corp_id, member.name.strip()] += 1

        def only(candidates):
            return candidates[0] if len(candidates) == 1 else None

        for member in members:
            company = member.company_id
            employee = (
                (member.user_id and by_user.get((company, member.user_id)))
                or (member.email and only(by_email[company, member.email.strip().lower()]))
                or (
                    member.name
                    and member_names[member.corp_id, member.name.strip()] == 1
                    and only(by_name[company, member.name.strip()])
                )
            )
            if not employee or employee in taken[member.corp_id]:
                continue
            taken[member.corp_id].add(employee)
            values = {"employee_id": employee.id}
            if not member.user_id and employee.user_id:
                values["user_id"] = employee.user_id.id
            member.write(values)

    def action_link_employees(self):
        """The member list's action: match the selected members to employees now."""
        self.check_access("write")
        self._link_employees()
        linked = self.filtered("employee_id")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if linked else "warning",
                "message": _(
                    "%(linked)s of %(count)s members are linked to an employee.",
                    linked=len(linked),
                    count=len(self),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_create_employee(self):
        """Create the HR employee of a member who has none (HR officers)."""
        self.ensure_one()
        self.check_access("read")
        if self.employee_id:
            raise UserError(_("%s is already linked to an employee.", self.display_name))
        if not self.company_id:
            raise UserError(_("The member's corp has no company."))
        Employee = self.env["hr.employee"]
        user = self.user_id
        if user and Employee.sudo().search_count(
            [("user_id", "=", user.id), ("company_id", "=", self.company_id.id)]
        ):
            user = self.env["res.users"]  # already someone's employee in this company
        department = self.env["hr.department"]
        if self.main_department_id:
            department = department.search(
                [
                    ("name", "=", self.main_department_id.name),
                    ("company_id", "in", [self.company_id.id, False]),
                ],
                limit=1,
            )
        employee = Employee.create(
            {
                "name": self.name or self.userid,
                "job_title": self.position or False,
                "work_email": self.email or False,
                "user_id": user.id or False,
                "department_id": department.id or False,
                "company_id": self.company_id.id,
            }
        )
        # The caller may create employees but not write members: the link is the
        # consequence of the create the ACL allowed.
        self.sudo().employee_id = employee
        return {
            "type": "ir.actions.act_window",
            "res_model": "hr.employee",
            "res_id": employee.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
