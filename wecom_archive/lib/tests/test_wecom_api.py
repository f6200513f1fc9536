"""The API client over real HTTP against the fake WeCom server."""

import logging
import socket

import pytest

from wecom_archive.lib import directory
from wecom_archive.lib.wecom_api import TokenStore, WecomApi, WecomApiError, redact
from wecom_archive.native.fake_api.server import FakeWecomServer

CORPID = "wwapitest0000001"
COMPANY = {
    "corp": {"corpid": CORPID, "corp_name": "测试"},
    "departments": [
        {"id": 1, "name": "总部", "parentid": 0, "order": 1, "department_leader": ["lisi"]},
        {"id": 2, "name": "销售部", "parentid": 1, "order": 2},
    ],
    "users": [
        {
            "userid": "lisi",
            "name": "李四",
            "position": "经理",
            "department": [1],
            "main_department": 1,
            "status": 1,
        },
        {
            "userid": "wangwu",
            "name": "王五",
            "position": "销售",
            "department": [2],
            "main_department": 2,
            "status": 1,
        },
    ],
    "permit_user_list": ["lisi", "wangwu"],
    "external_contacts": [
        {
            "external_contact": {"external_userid": f"wm{i:030d}", "name": f"客户{i}", "type": 1},
            "follow_user": [
                {
                    "userid": "wangwu",
                    "remark": "",
                    "description": "",
                    "createtime": 1700000000 + i,
                    "add_way": 1,
                }
            ],
        }
        for i in range(250)
    ],
    "deleted_follow_user": [],
    "external_groups": [],
    "internal_groups": [],
    "agree": [],
}


@pytest.fixture
def server():
    with FakeWecomServer(
        COMPANY, secrets={"s3cret-value": {"contact", "externalcontact", "msgaudit"}}
    ) as fake:
        yield fake


def client(server, secret="s3cret-value", **kw):
    kw.setdefault("store", TokenStore())
    kw.setdefault("sleep", lambda _s: None)
    return WecomApi(CORPID, secret, base_url=server.base_url, timeout=5, **kw)


def test_token_cached_and_refreshed_once(server):
    api = client(server)
    for _ in range(3):
        api.get("department/list")
    assert len([r for r in server.requests if r["path"] == "gettoken"]) == 1
    server.expire_tokens()
    assert api.get("department/list")["department"]
    assert len([r for r in server.requests if r["path"] == "gettoken"]) == 2
    server.add_fault("*", "errcode", times=None, errcode=42001)
    with pytest.raises(WecomApiError) as error:
        api.get("department/list")
    assert error.value.errcode == 42001  # refreshed once, then given up


def test_token_shared_between_clients(server):
    store = TokenStore()
    client(server, store=store).get("department/list")
    client(server, store=store).get("department/list")
    assert len([r for r in server.requests if r["path"] == "gettoken"]) == 1


def test_busy_and_rate_limit_retried_with_backoff(server):
    waits = []
    api = client(server, sleep=waits.append)
    server.add_fault("department/list", "errcode", times=2, errcode=45009)
    server.add_fault("user/list", "errcode", times=1, errcode=-1)
    assert api.get("department/list")["department"]
    assert api.get("user/list", department_id=1)["userlist"]
    assert len(waits) == 3 and waits[1] > waits[0]
    server.add_fault("department/list", "errcode", times=None, errcode=45009)
    with pytest.raises(WecomApiError) as error:
        api.get("department/list")
    assert error.value.retryable and len(waits) == 3 + api.retries


def test_message_send_not_repeated_after_server_error(server):
    api = client(server)
    server.add_fault("message/send", "http_500", times=1)
    with pytest.raises(WecomApiError) as error:
        api.post("message/send", {"touser": "lisi"}, idempotent=False)
    assert error.value.kind == "network"
    assert len([r for r in server.requests if r["path"] == "message/send"]) == 1


def test_errors_explained_without_secrets(server):
    with pytest.raises(WecomApiError) as error:
        client(server, secret="wrong-secret-value").get("department/list")
    assert error.value.errcode == 40001
    assert "rejected the secret" in str(error.value)
    assert "Secret" in error.value.message("zh_CN")
    assert "wrong-secret-value" not in str(error.value)
    api = client(server)
    server.add_fault("user/list", "errcode", errcode=60020)
    with pytest.raises(WecomApiError) as error:
        api.get("user/list", department_id=1)
    assert "trusted-IP" in str(error.value)
    assert "可信 IP" in error.value.message("zh_CN")
    server.add_fault("user/list", "errcode", errcode=48002)
    with pytest.raises(WecomApiError, match="permission"):
        api.get("user/list", department_id=1)


def test_timeout_and_unreachable(server):
    api = client(server, retries=0)
    api.timeout = 0.2
    server.add_fault("department/list", "slow", seconds=1)
    with pytest.raises(WecomApiError) as error:
        api.get("department/list")
    assert (error.value.kind, error.value.detail) == ("network", "timeout")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = WecomApi(
        CORPID,
        "s3cret-value",
        base_url=f"http://127.0.0.1:{port}/cgi-bin",
        store=TokenStore(),
        retries=0,
    )
    with pytest.raises(WecomApiError) as error:
        closed.get("department/list")
    assert error.value.kind == "network"
    assert "s3cret-value" not in str(error.value)


def test_malformed_answers(server):
    api = client(server, retries=1)
    server.add_fault("department/list", "malformed", times=1)
    assert api.get("department/list")["department"]  # retried
    server.add_fault("department/list", "malformed", times=None)
    with pytest.raises(WecomApiError) as error:
        api.get("department/list")
    assert error.value.kind == "malformed"


def test_directory_fetchers_and_paging(server):
    api = client(server)
    departments = directory.fetch_departments(api)
    assert {d["id"]: d["parentid"] for d in departments} == {1: 0, 2: 1}
    assert departments[0]["leaders"] == ["lisi"]
    users = directory.fetch_users(api, departments)
    assert sorted(u["userid"] for u in users) == ["lisi", "wangwu"]
    customers = directory.fetch_customers(api, ["wangwu", "lisi"])
    assert len(customers) == 250  # three pages of at most 100
    pages = [r for r in server.requests if r["path"] == "externalcontact/batch/get_by_user"]
    assert len(pages) == 3
    assert directory.fetch_permit(api) == {"lisi", "wangwu"}
    assert directory.fetch_customer(api, "wmUNKNOWN") is None


def test_fetchers_reject_malformed_shapes(server):
    api = client(server)
    server.add_fault("msgaudit/get_permit_user_list", "errcode", errcode=0)  # no ids at all
    with pytest.raises(WecomApiError) as error:
        directory.fetch_permit(api)
    assert error.value.kind == "malformed"


def test_redaction_of_urllib3_debug_log(server, caplog):
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client(server).get("department/list")
    assert "gettoken" in caplog.text
    assert "s3cret-value" not in caplog.text
    assert redact("x?corpsecret=abc&access_token=def&y=1") == (
        "x?corpsecret=***&access_token=***&y=1"
    )
