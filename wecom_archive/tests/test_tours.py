"""Browser tours of the screens, in headless Chromium, in zh_CN (as the users read them)."""

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import fake_sdk_library, use_zh_cn


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_zh_cn(cls.env)
        corp = cls.env["wecom.corp"].create(
            {
                "name": "巡检企业",
                "corpid": "wwtour0000000001",
                "sdk_library_path": fake_sdk_library(),
            }
        )
        cls.sales = cls.env["wecom.department"].create(
            {"corp_id": corp.id, "department_id": 2, "name": "销售部"}
        )
        cls.scoped = new_test_user(
            cls.env,
            login="tour_scoped",
            name="巡检管理员",
            groups="base.group_user,wecom_archive.group_wecom_archive_admin",
        )
        cls.scoped.wecom_scope_department_ids = [Command.set(cls.sales.ids)]

    def test_permissions_screen(self):
        self.start_tour(
            "/odoo/action-wecom_archive.wecom_permissions_action",
            "wecom_archive_permissions",
            login="admin",
        )
        self.assertEqual(self.scoped.wecom_role, "super")
        log = self.env["wecom.access.log"].search([("action", "=", "scope_change")])
        self.assertIn("巡检管理员", log.target)
