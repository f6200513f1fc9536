"""The fake WeCom server API answers like WeCom, over real HTTP."""

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from wecom_archive.native.corpus.generate import generate
from wecom_archive.native.fake_api.server import FakeWecomServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def company_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("company")
    generate(str(out), messages=300, seed=3, days=2, media_scale=0.001, corpid="wwfakeapi0000001")
    return os.path.join(out, "company.json")


@pytest.fixture
def server(company_path):
    with open(company_path, encoding="utf-8") as handle:
        company = json.load(handle)
    with FakeWecomServer(
        company,
        secrets={
            "s": {"contact", "msgaudit", "externalcontact", "message", "auth"},
            "c": {"contact"},
        },
    ) as fake:
        yield fake


def call(server, path, secret="s", body=None, **params):
    token = requests.get(
        f"{server.base_url}/gettoken", params={"corpid": server.corpid, "corpsecret": secret}
    ).json()
    params["access_token"] = token["access_token"]
    if body is None:
        return requests.get(f"{server.base_url}/{path}", params=params).json()
    return requests.post(f"{server.base_url}/{path}", params=params, json=body).json()


def test_tokens(server):
    base = server.base_url
    assert (
        requests.get(f"{base}/gettoken", params={"corpid": "x", "corpsecret": "s"}).json()[
            "errcode"
        ]
        == 40013
    )
    assert (
        requests.get(
            f"{base}/gettoken", params={"corpid": server.corpid, "corpsecret": "bad"}
        ).json()["errcode"]
        == 40001
    )
    assert requests.get(f"{base}/department/list").json()["errcode"] == 41001
    assert (
        requests.get(f"{base}/department/list", params={"access_token": "nope"}).json()["errcode"]
        == 40014
    )
    assert call(server, "msgaudit/get_permit_user_list", secret="c", body={})["errcode"] == 48002
    token = requests.get(
        f"{base}/gettoken", params={"corpid": server.corpid, "corpsecret": "s"}
    ).json()["access_token"]
    server.expire_tokens()
    assert (
        requests.get(f"{base}/department/list", params={"access_token": token}).json()["errcode"]
        == 42001
    )


def test_directory(server):
    departments = call(server, "department/list", id=5)["department"]
    assert sorted(d["id"] for d in departments) == [5, 7]
    everyone = call(server, "user/list", department_id=1, fetch_child=1)["userlist"]
    assert len(everyone) == len(server.company["users"])
    assert call(server, "user/list", department_id=1)["userlist"] == []  # root has no staff
    first = server.company["users"][0]
    assert call(server, "user/get", userid=first["userid"])["name"] == first["name"]
    assert call(server, "user/get", userid="nobody")["errcode"] == 60111
    seen, cursor = [], ""
    while True:
        page = call(server, "user/list_id", body={"cursor": cursor, "limit": 5})
        seen += page["dept_user"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(server.company["users"])


def test_customers_paging_and_deleted_follower(server):
    userids = [u["userid"] for u in server.company["users"]]
    rows, cursor = [], ""
    while True:
        page = call(
            server,
            "externalcontact/batch/get_by_user",
            body={"userid_list": userids, "cursor": cursor, "limit": 7},
        )
        rows += page["external_contact_list"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    pairs = {(r["external_contact"]["external_userid"], r["follow_info"]["userid"]) for r in rows}
    assert len(pairs) == len(rows)
    deleted = server.company["deleted_follow_user"][0]
    assert (deleted["external_userid"], deleted["userid"]) not in pairs
    answer = call(server, "externalcontact/get", external_userid=deleted["external_userid"])
    assert deleted["userid"] not in [f["userid"] for f in answer["follow_user"]]
    assert call(server, "externalcontact/get", external_userid="wmX")["errcode"] == 84061
    assert (
        call(server, "externalcontact/batch/get_by_user", body={"userid_list": ["a"] * 101})[
            "errcode"
        ]
        == 40058
    )


def test_consent(server):
    entry = server.company["external_contacts"][0]
    external = entry["external_contact"]["external_userid"]
    userid = entry["follow_user"][0]["userid"]
    info = {"info": [{"userid": userid, "exteranalopenid": "wmNEVER"}]}
    answer = call(server, "msgaudit/check_single_agree", body=info)["agreeinfo"][0]
    assert (answer["agree_status"], answer["status_change_time"]) == ("Default_Agree", 0)
    now = int(time.time())
    server.set_agree(userid, external, "Agree", now + 200)
    server.set_agree(userid, external, "Disagree", now + 100)  # older: does not win
    info = {"info": [{"userid": userid, "exteranalopenid": external}]}
    answer = call(server, "msgaudit/check_single_agree", body=info)["agreeinfo"][0]
    assert (answer["agree_status"], answer["status_change_time"]) == ("Agree", now + 200)


def test_groups(server):
    listed = call(server, "externalcontact/groupchat/list", body={"limit": 1000})
    ids = [g["chat_id"] for g in listed["group_chat_list"]]
    assert ids == [g["chat_id"] for g in server.company["external_groups"]]
    group = call(server, "externalcontact/groupchat/get", body={"chat_id": ids[0], "need_name": 1})
    assert group["group_chat"]["name"] == server.company["external_groups"][0]["name"]
    room = call(server, "msgaudit/check_room_agree", body={"roomid": ids[0]})
    assert room["agreeinfo"] and all(
        a["exteranalopenid"][:2] in ("wm", "wo") for a in room["agreeinfo"]
    )
    internal = server.company["internal_groups"][0]
    answer = call(server, "msgaudit/groupchat/get", body={"roomid": internal["roomid"]})
    assert answer["roomname"] == internal["roomname"]
    assert call(server, "msgaudit/groupchat/get", body={"roomid": "wrX"})["errcode"] != 0


def test_message_send_and_login_code(server):
    userid = server.company["users"][0]["userid"]
    answer = call(
        server,
        "message/send",
        body={
            "touser": f"{userid}|ghost",
            "msgtype": "text",
            "agentid": 1,
            "text": {"content": "告警"},
        },
    )
    assert answer["invaliduser"] == "ghost"
    assert server.sent_messages[0]["text"]["content"] == "告警"
    code = server.issue_login_code(userid)
    assert call(server, "auth/getuserinfo", code=code)["userid"] == userid
    assert call(server, "auth/getuserinfo", code=code)["errcode"] == 40029  # single use


def test_faults(server):
    server.add_fault("department/list", "errcode", times=2, errcode=45009)
    assert call(server, "department/list")["errcode"] == 45009
    assert call(server, "department/list")["errcode"] == 45009
    assert call(server, "department/list")["errcode"] == 0
    server.add_fault("department/list", "http_500")
    token = requests.get(
        f"{server.base_url}/gettoken", params={"corpid": server.corpid, "corpsecret": "s"}
    ).json()
    url = f"{server.base_url}/department/list"
    assert requests.get(url, params={"access_token": token["access_token"]}).status_code == 500
    server.add_fault("department/list", "malformed")
    with pytest.raises(ValueError):
        requests.get(url, params={"access_token": token["access_token"]}).json()
    server.add_fault("department/list", "slow", seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(url, params={"access_token": token["access_token"]}, timeout=0.1)
    server.add_fault("*", "errcode", times=None, errcode=-1)
    answer = requests.get(
        f"{server.base_url}/user/get", params={"access_token": token["access_token"], "userid": "x"}
    ).json()
    assert answer["errcode"] == -1
    server.clear_faults()
    assert call(server, "department/list")["errcode"] == 0


def test_control_surface(server):
    control = server.base_url.replace("/cgi-bin", "/_fake")
    assert requests.post(f"{control}/set_permit", json={"userids": ["a"]}).json()["ok"]
    assert call(server, "msgaudit/get_permit_user_list", body={})["ids"] == ["a"]
    code = requests.post(f"{control}/issue_login_code", json={"userid": "a"}).json()["result"]
    assert len(code) == 24
    assert requests.post(f"{control}/nope", json={}).status_code == 404
    assert requests.post(f"{control}/set_permit", json={"wrong": 1}).status_code == 400
    assert any(
        r["path"] == "msgaudit/get_permit_user_list"
        for r in requests.get(f"{control}/requests").json()
    )


def test_main_runs_and_answers(company_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wecom_archive.native.fake_api",
            "--company",
            company_path,
            "--port",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base = line.split(" on ")[1].strip()
        answer = requests.get(
            f"{base}/gettoken", params={"corpid": "wwfakeapi0000001", "corpsecret": "any"}
        ).json()
        assert answer["errcode"] == 0
    finally:
        process.terminate()
        assert process.wait(10) == 0
