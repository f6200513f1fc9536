"""Helpers of the Odoo tests: a fake-SDK corpus built for real, with real RSA keys."""

import json
import os
import tempfile

import polib

from odoo.tests import TransactionCase
from odoo.tools.translate import TranslationModuleReader

from ..native.corpus.build import build
from ..native.corpus.keys import new_key_pair

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_KEY_PAIRS = {}


def fake_sdk_library():
    """The compiled fake SDK (make sdk); a missing one fails the test loudly."""
    path = os.environ.get("WECOM_FAKE_SDK_LIB") or os.path.join(
        _ROOT, "build", "libWeWorkFinanceSdk_C.so"
    )
    if not os.path.isfile(path):
        raise AssertionError(f"The fake Finance SDK is not built at {path}: run `make sdk`.")
    return path


def key_pair(version):
    """(private PEM, public PEM) for a key version, generated once per test process."""
    if version not in _KEY_PAIRS:
        _KEY_PAIRS[version] = new_key_pair()
    return _KEY_PAIRS[version]


def build_test_corpus(root, corpid, secret, messages, versions=(1,), media=None):
    """A fake-SDK corpus for ``corpid`` under ``root`` (messages: dicts or raw lines)."""
    source = os.path.join(root, f"source-{corpid}")
    media_dir = os.path.join(source, "media")
    os.makedirs(media_dir, exist_ok=True)
    for sdkfileid, content in (media or {}).items():
        with open(os.path.join(media_dir, sdkfileid), "wb") as handle:
            handle.write(content)
    path = os.path.join(source, "messages.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for message in messages:
            if not isinstance(message, str):
                message = json.dumps(message, ensure_ascii=False)
            handle.write(message + "\n")
    out = os.path.join(root, corpid)
    public_keys = {version: key_pair(version)[1] for version in versions}
    build(public_keys, path, media_dir, out, corpid=corpid, secret=secret)
    return out


NEW_YEAR_2026_MS = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC, in ms


def text_message(msgid, second, sender, to, content):
    """A text message of a 1:1 chat, sent ``second`` seconds into 2026 (UTC)."""
    return {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": "",
        "msgtime": NEW_YEAR_2026_MS + second * 1000,
        "msgtype": "text",
        "text": {"content": content},
    }


def use_zh_cn(env):
    """zh_CN active with the addon's terms loaded, and the admin reading it in Shanghai time:
    the screens as the users see them (the browser tours)."""
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"].search(
        [("name", "in", ("base", "web", "wecom_archive"))]
    )._update_translations(["zh_CN"])
    env.ref("base.user_admin").write({"lang": "zh_CN", "tz": "Asia/Shanghai"})


def fake_api_company(corpid, userids):
    """The smallest company the fake WeCom server API serves: ``userids`` in department 3."""
    return {
        "corp": {"corpid": corpid, "corp_name": "测试企业"},
        "departments": [],
        "users": [
            {"userid": u, "name": u, "department": [3], "main_department": 3, "status": 1}
            for u in userids
        ],
        "permit_user_list": [],
        "external_contacts": [],
        "deleted_follow_user": [],
        "external_groups": [],
        "internal_groups": [],
        "agree": [],
    }


class WecomCase(TransactionCase):
    """A corp wired to the fake SDK serving a corpus built in a temporary directory."""

    corpid = "wwtestcorp000001"
    secret = "test-archive-secret"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._tmp = tempfile.TemporaryDirectory(prefix="wecom_test_")
        cls.addClassCleanup(cls._tmp.cleanup)
        cls.corpus_root = cls._tmp.name
        previous = os.environ.get("WECOM_FAKE_SDK_CORPUS")
        os.environ["WECOM_FAKE_SDK_CORPUS"] = cls.corpus_root
        cls.addClassCleanup(cls._restore_env, previous)
        cls.corp = cls.env["wecom.corp"].create(
            {
                "name": "测试企业",
                "corpid": cls.corpid,
                "secret": cls.secret,
                "sdk_library_path": fake_sdk_library(),
                "timeout": 5,
            }
        )

    @staticmethod
    def _restore_env(previous):
        if previous is None:
            os.environ.pop("WECOM_FAKE_SDK_CORPUS", None)
        else:
            os.environ["WECOM_FAKE_SDK_CORPUS"] = previous

    @classmethod
    def build_corpus(cls, messages, *, versions=(1,), corpid=None, media=None):
        """Write ``messages`` (dicts or raw str lines) as the corp's corpus; return its dir."""
        return build_test_corpus(
            cls.corpus_root, corpid or cls.corpid, cls.secret, messages, versions, media
        )

    @classmethod
    def set_faults(cls, text, corpid=None):
        with open(
            os.path.join(cls.corpus_root, corpid or cls.corpid, "faults.conf"), "w"
        ) as handle:
            handle.write(text)


class ZhCnCompleteMixin:
    """Mixed into an addon's TransactionCase, whose own test calls the check (Odoo's
    loader runs only test methods a class defines itself)."""

    def assert_zh_cn_complete(self, addon, po_path):
        """Every term ``addon`` exports has a zh_CN translation in ``po_path``, none fuzzy."""
        terms = {row[4] for row in TranslationModuleReader(self.env.cr, [addon])}
        self.assertTrue(terms, "the addon exports no terms at all")
        catalogue = polib.pofile(po_path)
        translated = {entry.msgid for entry in catalogue if entry.msgstr and not entry.obsolete}
        fuzzy = {entry.msgid for entry in catalogue if "fuzzy" in entry.flags}
        missing = sorted(terms - translated)
        self.assertFalse(missing, f"terms without a zh_CN translation: {missing}")
        self.assertFalse(fuzzy, f"fuzzy zh_CN translations: {sorted(fuzzy)}")
