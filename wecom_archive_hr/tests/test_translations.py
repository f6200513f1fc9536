import os

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

_PO = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n", "zh_CN.po")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term of the bridge has a zh_CN translation."""

    def test_zh_cn_complete(self):
        terms = {row[4] for row in TranslationModuleReader(self.env.cr, ["wecom_archive_hr"])}
        self.assertTrue(terms, "the addon exports no terms at all")
        catalogue = polib.pofile(_PO)
        translated = {entry.msgid for entry in catalogue if entry.msgstr and not entry.obsolete}
        missing = sorted(terms - translated)
        self.assertFalse(missing, f"terms without a zh_CN translation: {missing}")

    def test_zh_cn_loaded(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive_hr"], ["zh_CN"])
        action = self.env.ref("wecom_archive_hr.wecom_member_action_link_employees")
        self.assertEqual(action.with_context(lang="zh_CN").name, "关联到员工")
