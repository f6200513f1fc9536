import os

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

_PO = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n", "zh_CN.po")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Chinese is the users' first language: every term of the addon has a zh_CN translation."""

    def test_zh_cn_complete(self):
        terms = {row[4] for row in TranslationModuleReader(self.env.cr, ["wecom_archive"])}
        self.assertTrue(terms, "the addon exports no terms at all")
        catalogue = polib.pofile(_PO)
        translated = {entry.msgid for entry in catalogue if entry.msgstr and not entry.obsolete}
        fuzzy = {entry.msgid for entry in catalogue if "fuzzy" in entry.flags}
        missing = sorted(terms - translated)
        self.assertFalse(missing, f"terms without a zh_CN translation: {missing}")
        self.assertFalse(fuzzy, f"fuzzy zh_CN translations: {sorted(fuzzy)}")

    def test_zh_cn_loaded(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive"], ["zh_CN"])
        menu = self.env.ref("wecom_archive.menu_wecom_archive_root").with_context(lang="zh_CN")
        self.assertEqual(menu.name, "会话存档")
