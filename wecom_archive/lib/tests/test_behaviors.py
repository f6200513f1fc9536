"""Sensitive behaviours on small fixed messages: each kind's hit and its near-misses."""

from wecom_archive.lib.behaviors import (
    Behavior,
    by_sent_kind,
    deletion_rules,
    file_exts,
    scan,
    sent_kind,
)
from wecom_archive.lib.keywords import Rule
from wecom_archive.lib.normalize import normalize

MEMBER, OTHER, CUSTOMER, ROOM = "seller", "helper", "wmCustomer0000000000001", "wrRoom01"
T0 = 1_700_000_000_000


def message(msgtype, body, sender=MEMBER, to=(CUSTOMER,), roomid="", n=1, key=None):
    return normalize(
        {
            "msgid": f"m{n}",
            "action": "send",
            "from": sender,
            "tolist": list(to),
            "roomid": roomid,
            "msgtime": T0 + n * 1000,
            "msgtype": msgtype,
            key or msgtype: body,
        }
    )


def run(behaviors, msg, side="member", kind="external", members=(), departments=(), refused=None):
    return [
        (f.rule_id, f.what, f.customer)
        for f in scan(
            behaviors,
            msg,
            chat_kind=kind,
            sender_side=side,
            member_ids=frozenset(members),
            department_ids=frozenset(departments),
            refused=refused or {},
        )
    ]


def packet(amount, msgtype="redpacket"):
    body = {"type": 1, "wish": "恭喜发财", "totalcnt": 1, "totalamount": amount}
    return message(msgtype, body, key="redpacket")


def test_red_packet_to_a_customer_with_its_amount():
    rules = [Behavior(Rule(1), "redpacket", min_amount=10000)]
    assert run(rules, packet(20000)) == [(1, "红包 ¥200.00", CUSTOMER)]
    assert run(rules, packet(10000, "external_redpacket")) == [(1, "互通红包 ¥100.00", CUSTOMER)]
    # near-misses: below the amount, to a colleague, from the customer
    assert run(rules, packet(9999)) == []
    internal = message("redpacket", {"totalamount": 50000}, to=(OTHER,))
    assert run(rules, internal, kind="internal") == []
    back = message("redpacket", {"totalamount": 50000}, sender=CUSTOMER, to=(MEMBER,))
    assert run(rules, back, side="customer") == []


def test_red_packet_in_a_group_with_customers():
    rules = [Behavior(Rule(1), "redpacket")]
    group = message("redpacket", {"totalamount": 888}, to=(OTHER, CUSTOMER), roomid=ROOM)
    assert run(rules, group, kind="group") == [(1, "红包 ¥8.88", CUSTOMER)]
    no_groups = [Behavior(Rule(1, chat_kinds=frozenset({"external"})), "redpacket")]
    assert run(no_groups, group, kind="group") == []


def test_card_sent_to_a_customer():
    rules = [Behavior(Rule(1), "card")]
    card = message("card", {"corpname": "某公司", "userid": "wangwu"})
    assert run(rules, card) == [(1, "名片 wangwu", CUSTOMER)]
    assert run(rules, message("card", {"userid": "wangwu"}, to=(OTHER,)), kind="internal") == []
    assert run(rules, message("text", {"content": "名片发你了"})) == []


def file(name, size, ext=None):
    body = {"filename": name, "filesize": size, "sdkfileid": "x", "md5sum": ""}
    if ext is not None:
        body["fileext"] = ext
    return message("file", body)


def test_file_above_a_size_or_of_a_type():
    rules = [
        Behavior(Rule(1), "file", max_file_size=10 * 1024 * 1024),
        Behavior(Rule(2), "file", file_exts=file_exts("exe, .APK；zip")),
    ]
    assert run(rules, file("报价.pdf", 20 * 1024 * 1024, "pdf")) == [
        (1, "文件 报价.pdf（20.0 MB）", CUSTOMER)
    ]
    assert run(rules, file("工具.EXE", 2048)) == [(2, "文件 工具.EXE（2.0 KB）", CUSTOMER)]
    # near-misses: exactly the limit, an extension only in the name's middle
    assert run(rules, file("报价.pdf", 10 * 1024 * 1024, "pdf")) == []
    assert run(rules, file("exe说明.docx", 100, "docx")) == []
    # no limit at all: every file sent to a customer
    assert run([Behavior(Rule(3), "file")], file("a.txt", 1)) == [
        (3, "文件 a.txt（1 B）", CUSTOMER)
    ]


def test_customer_who_refused_archiving_still_messaged():
    rules = [Behavior(Rule(1), "refused_consent")]
    refused = {CUSTOMER: T0 + 5000}
    after = message("text", {"content": "您好"}, n=6)
    assert run(rules, after, refused=refused) == [(1, "拒绝存档后仍发消息", CUSTOMER)]
    # near-misses: before the refusal, another customer, the refusal itself, a group
    assert run(rules, message("text", {"content": "您好"}, n=4), refused=refused) == []
    other = message("text", {"content": "您好"}, to=("wmSomeoneElse0000000001",), n=6)
    assert run(rules, other, refused=refused) == []
    disagree = message("disagree", {"userid": CUSTOMER, "disagree_time": T0 + 6000}, n=6)
    assert run(rules, disagree, refused=refused) == []
    group = message("text", {"content": "大家好"}, to=(CUSTOMER, OTHER), roomid=ROOM, n=6)
    assert run(rules, group, kind="group", refused=refused) == []
    # the customer writing is a hit too, unless the rule watches employees only
    back = message("text", {"content": "在吗"}, sender=CUSTOMER, to=(MEMBER,), n=7)
    assert run(rules, back, side="customer", refused=refused) == [
        (1, "拒绝存档后仍发消息", CUSTOMER)
    ]
    members_only = [Behavior(Rule(1, side="member"), "refused_consent")]
    assert run(members_only, back, side="customer", refused=refused) == []


def test_scope_by_member_and_department():
    rules = [
        Behavior(Rule(1, member_ids=frozenset({7})), "card"),
        Behavior(Rule(2, department_ids=frozenset({3})), "card"),
    ]
    card = message("card", {"userid": "x"})
    assert [f[0] for f in run(rules, card, members={7})] == [1]
    assert [f[0] for f in run(rules, card, departments={3})] == [2]
    assert run(rules, card, members={8}, departments={4}) == []


def test_deletions():
    rules = [
        Behavior(Rule(1), "member_deleted_customer"),
        Behavior(Rule(2), "customer_deleted_member"),
        Behavior(Rule(3, department_ids=frozenset({3})), "customer_deleted_member"),
        Behavior(Rule(4), "card"),
    ]
    assert deletion_rules(rules, "member", 7, [5]) == [1]
    assert deletion_rules(rules, "customer", 7, [5]) == [2]
    assert deletion_rules(rules, "customer", 7, [3]) == [2, 3]


def test_candidates_by_sent_kind_find_what_every_rule_finds():
    """A caller giving scan only the behaviours of what a message is finds the same, in
    the same order, as with every rule."""
    rules = [
        Behavior(Rule(1), "file"),
        Behavior(Rule(2), "refused_consent"),
        Behavior(Rule(3), "redpacket"),
        Behavior(Rule(4), "card"),
        Behavior(Rule(5), "redpacket", min_amount=500),
    ]
    candidates = by_sent_kind(rules)
    refused = {CUSTOMER: T0}
    messages = [
        (packet(800), "member"),
        (message("card", {"userid": "x"}), "member"),
        (message("file", {"filename": "a.zip", "filesize": 10}), "member"),
        (message("text", {"content": "hi"}), "member"),
        (message("text", {"content": "hi"}, sender=CUSTOMER, to=(MEMBER,)), "customer"),
        (packet(800), "customer"),
    ]
    for msg, side in messages:
        every = run(rules, msg, side=side, refused=refused)
        assert run(candidates[sent_kind(msg, side)], msg, side=side, refused=refused) == every
    assert run(candidates[sent_kind(packet(800), "member")], packet(800), refused=refused) == [
        (2, "拒绝存档后仍发消息", CUSTOMER),
        (3, "红包 ¥8.00", CUSTOMER),
        (5, "红包 ¥8.00", CUSTOMER),
    ]


def test_file_exts():
    assert file_exts(" .exe，apk; ZIP 、bat ") == frozenset({"exe", "apk", "zip", "bat"})
    assert file_exts("") == frozenset()
