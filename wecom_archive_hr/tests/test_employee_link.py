"""Members ↔ HR employees, after a real pull and a sync over HTTP with the fake server."""

from odoo.addons.wecom_archive.tests.test_sync import SyncCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

SUPER = "base.group_user,wecom_archive.group_wecom_archive_super"
MANAGER = "base.group_user,wecom_archive.group_wecom_manager"


@tagged("post_install", "-at_install")
class TestEmployeeLink(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = [u for u in cls.company["users"] if u["status"] == 1]
        cls.by_user, cls.by_email, cls.by_name, cls.twins, cls.elsewhere = users[:5]
        cls.Employee = cls.env["hr.employee"]

    def employee(self, name, **values):
        return self.Employee.create({"name": name, "company_id": self.env.company.id, **values})

    def test_sync_links_by_user_email_and_unique_name(self):
        user = new_test_user(self.env, self.by_user["userid"], groups="base.group_user")
        with_user = self.employee("另一个名字", user_id=user.id)
        self.server.upsert_user({**self.by_email, "email": "Lin.Ming@example.cn"})
        with_email = self.employee("林明 (HR)", work_email="lin.ming@example.cn")
        with_name = self.employee(self.by_name["name"])
        self.employee(self.twins["name"])
        self.employee(self.twins["name"])  # two employees share the name: no guess
        other_company = self.env["res.company"].create({"name": "别的公司"})
        self.Employee.create({"name": self.elsewhere["name"], "company_id": other_company.id})

        self.assertEqual(self.corp._sync(full=True), [])

        self.assertEqual(self.member(self.by_user["userid"]).user_id, user)
        self.assertEqual(self.member(self.by_user["userid"]).employee_id, with_user)
        self.assertEqual(self.member(self.by_email["userid"]).employee_id, with_email)
        self.assertEqual(self.member(self.by_name["userid"]).employee_id, with_name)
        self.assertFalse(self.member(self.twins["userid"]).employee_id)
        self.assertFalse(self.member(self.elsewhere["userid"]).employee_id)

    def test_member_user_filled_from_employee_and_links_kept(self):
        user = new_test_user(self.env, "wang.employee", groups="base.group_user")
        employee = self.employee(self.by_name["name"], user_id=user.id)
        self.corp._sync(full=True)
        member = self.member(self.by_name["userid"])
        self.assertEqual((member.employee_id, member.user_id), (employee, user))
        # A link set by hand survives the next syncs, and the employee is not given twice.
        chosen = self.employee("手动关联")
        member.employee_id = chosen
        self.employee(self.by_user["name"])
        self.corp._sync(full=True)
        self.assertEqual(member.employee_id, chosen)
        self.assertEqual(self.member(self.by_user["userid"]).employee_id.name, self.by_user["name"])

    def test_employee_form_button_respects_scope(self):
        self.corp._sync(full=True)
        member = self.member(self.by_name["userid"])
        employee = self.employee(self.by_name["name"])
        member.employee_id = employee
        chats = self.env["wecom.conversation"].search([("member_ids", "in", member.ids)])
        self.assertTrue(chats)
        admin = new_test_user(self.env, "hr_archive_super", groups=SUPER)
        as_admin = employee.with_user(admin)
        self.assertEqual(as_admin.wecom_conversation_count, len(chats))
        # Without HR rights the admin gets the public employee form: it has the button too.
        public = self.env["hr.employee.public"].with_user(admin).browse(employee.id)
        self.assertEqual(public.wecom_conversation_count, len(chats))
        public_action = public.action_view_wecom_conversations()
        self.assertEqual(
            self.env["wecom.conversation"].with_user(admin).search(public_action["domain"]), chats
        )
        action = as_admin.action_view_wecom_conversations()
        self.assertEqual(
            self.env["wecom.conversation"].with_user(admin).search(action["domain"]), chats
        )
        # Computed for several employees at once; an employee linked to both members of
        # a chat counts it once.
        other = self.member(self.by_user["userid"])
        other_employee = self.employee(self.by_user["name"])
        other.employee_id = other_employee
        both = self.env["hr.employee"].browse([employee.id, other_employee.id]).with_user(admin)
        other_chats = self.env["wecom.conversation"].search([("member_ids", "in", other.ids)])
        self.assertEqual(both.mapped("wecom_conversation_count"), [len(chats), len(other_chats)])
        other.employee_id = employee
        employee.invalidate_recordset()
        self.assertEqual(as_admin.wecom_conversation_count, len(chats | other_chats))
        other.employee_id = other_employee
        # An archive admin of another company finds none of these chats.
        other_company = self.env["res.company"].create({"name": "别的公司"})
        outsider = new_test_user(
            self.env,
            "hr_archive_outsider",
            groups=SUPER,
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        self.assertFalse(
            self.env["wecom.conversation"].with_user(outsider).search(action["domain"])
        )
        # Someone outside the archive groups cannot read the link at all.
        clerk = new_test_user(self.env, "hr_clerk", groups="base.group_user,hr.group_hr_user")
        with self.assertRaises(AccessError):
            employee.with_user(clerk).read(["wecom_conversation_count"])

    def test_archive_admin_without_hr_rights_sees_the_employee(self):
        self.corp._sync(full=True)
        member = self.member(self.by_name["userid"])
        member.employee_id = self.employee(self.by_name["name"])
        admin = new_test_user(self.env, "archive_only", groups=SUPER)
        data = member.with_user(admin).web_read({"employee_id": {"fields": {"display_name": {}}}})
        self.assertEqual(data[0]["employee_id"]["display_name"], self.by_name["name"])

    def test_create_employee_from_member(self):
        self.corp._sync(full=True)
        member = self.member(self.by_name["userid"])
        department = self.env["hr.department"].create(
            {"name": member.main_department_id.name, "company_id": self.env.company.id}
        )
        officer = new_test_user(
            self.env,
            "hr_officer_archive",
            groups=f"{SUPER},hr.group_hr_user",
        )
        action = member.with_user(officer).action_create_employee()
        employee = self.Employee.browse(action["res_id"])
        self.assertEqual(member.employee_id, employee)
        self.assertEqual(employee.name, member.name)
        self.assertEqual(employee.job_title, member.position)
        self.assertEqual(employee.department_id, department)
        self.assertEqual(employee.company_id, self.env.company)
        with self.assertRaises(UserError):
            member.with_user(officer).action_create_employee()
        # Without HR rights the employee cannot be created, and nothing is linked.
        other = self.member(self.by_user["userid"])
        archive_only = new_test_user(self.env, "archive_no_hr", groups=SUPER)
        with self.assertRaises(AccessError):
            other.with_user(archive_only).action_create_employee()
        self.assertFalse(other.employee_id)

    def test_link_action_for_managers(self):
        self.corp._sync(full=True)
        member = self.member(self.twins["userid"])
        self.assertFalse(member.employee_id)
        employee = self.employee(self.twins["name"])
        manager = new_test_user(self.env, "archive_manager_hr", groups=MANAGER)
        result = member.with_user(manager).action_link_employees()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(member.employee_id, employee)
        viewer = new_test_user(self.env, "archive_viewer_hr", groups=SUPER)
        with self.assertRaises(AccessError):
            member.with_user(viewer).action_link_employees()
