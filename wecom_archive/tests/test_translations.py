import os

from odoo.tests import TransactionCase, tagged

from .common import ZhCnCompleteMixin

_PO = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n", "zh_CN.po")


@tagged("post_install", "-at_install")
class TestTranslations(ZhCnCompleteMixin, TransactionCase):
    """Chinese is the users' first language: every term of the addon has a zh_CN translation."""

    def test_zh_cn_complete(self):
        self.assert_zh_cn_complete("wecom_archive", _PO)

    def test_zh_cn_loaded(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive"], ["zh_CN"])
        menu = self.env.ref("wecom_archive.menu_wecom_archive_root").with_context(lang="zh_CN")
        self.assertEqual(menu.name, "会话存档")
