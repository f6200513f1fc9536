import os

from odoo.addons.wecom_archive.tests.common import ZhCnCompleteMixin
from odoo.tests import TransactionCase, tagged

_PO = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n", "zh_CN.po")


@tagged("post_install", "-at_install")
class TestTranslations(ZhCnCompleteMixin, TransactionCase):
    """Every term of the bridge has a zh_CN translation."""

    def test_zh_cn_complete(self):
        self.assert_zh_cn_complete("wecom_archive_hr", _PO)

    def test_zh_cn_loaded(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive_hr"], ["zh_CN"])
        action = self.env.ref("wecom_archive_hr.wecom_member_action_link_employees")
        self.assertEqual(action.with_context(lang="zh_CN").name, "关联到员工")
