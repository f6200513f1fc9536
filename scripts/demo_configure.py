# Run inside `odoo shell` by scripts/demo.sh: wire the demo corp to the fake SDK.
# `env` is the environment odoo shell provides.
import json
import os
import urllib.request

demo = os.environ["WECOM_DEMO_DIR"]
corp = env.ref("wecom_archive.wecom_corp_demo")
corp.sdk_library_path = os.environ["WECOM_FAKE_SDK_LIB"]
corp.write(
    {
        "api_base_url": os.environ["WECOM_DEMO_API_URL"],
        "contact_secret": "demo-contact-secret",
        "customer_secret": "demo-customer-secret",
        "agent_id": "1000002",
        "app_secret": "demo-app-secret",
    }
)
for version in (1, 2):
    with open(os.path.join(demo, "keys", f"private_v{version}.pem"), encoding="utf-8") as pem:
        corp.key_ids = [(0, 0, {"version": version, "private_key": pem.read()})]
corp.action_test_connection()
env.ref("base.user_admin").write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
env.cr.commit()
print(f"demo corp {corp.corpid} configured with key versions 1 and 2; pulling")
print(f"{corp._pull()} messages stored; downloading media")
env["wecom.message"]._cron_download_media(time_budget=600)
env.cr.commit()
errors = corp._sync(full=True)
env.cr.commit()
if errors:
    raise SystemExit("directory sync failed: " + "; ".join(errors))
print(
    f"directory synced: {corp.member_count} members, {corp.contact_count} customers, "
    f"{corp.group_count} group chats"
)
# 敏感行为: an employee deletes a customer (WeCom stops listing the relation: the next sync
# notices) and a customer deletes an employee (WeCom's callback, through its real handler).
gone, dropped = env["wecom.contact.follow"].search(
    [("corp_id", "=", corp.id), ("state", "=", "current")], order="id", limit=2
)
request = urllib.request.Request(
    os.environ["WECOM_DEMO_API_URL"].removesuffix("/cgi-bin") + "/_fake/delete_follow",
    data=json.dumps(
        {"external_userid": gone.contact_id.external_userid, "userid": gone.member_id.userid}
    ).encode(),
    headers={"Content-Type": "application/json"},
)
urllib.request.urlopen(request, timeout=10).close()
corp._handle_callback(
    {
        "Event": "change_external_contact",
        "ChangeType": "del_follow_user",
        "UserID": dropped.member_id.userid,
        "ExternalUserID": dropped.contact_id.external_userid,
    }
)
corp._sync(full=True)
env.cr.commit()
print(
    f"{gone.member_id.name} deleted {gone.contact_id.name}; {dropped.contact_id.name} deleted "
    f"{dropped.member_id.name}"
)
# The HR bridge (wecom_archive_hr, installed with hr): every archived member gets an employee.
members = env["wecom.member"].search([("corp_id", "=", corp.id), ("archive_status", "!=", "none")])
for member in members.filtered(lambda m: not m.employee_id):
    member.action_create_employee()
env.cr.commit()
print(f"{len(members)} archived members linked to HR employees")
# 账号权限: an archive admin who reads one department's chats (log in: scoped / scoped).
department = env["wecom.department"].search(
    [("corp_id", "=", corp.id), ("member_ids", "!=", False), ("parent_id", "!=", False)], limit=1
)
scoped = env["res.users"].create(
    {
        "name": "范围管理员",
        "login": "scoped",
        "password": "scoped",
        "lang": "zh_CN",
        "tz": "Asia/Shanghai",
    }
)
env["wecom.scope.wizard"].create(
    {"user_id": scoped.id, "role": "admin", "department_ids": [(6, 0, department.ids)]}
).action_apply()
env.cr.commit()
print(f"archive admin 'scoped' (password scoped) reads {department.complete_name}")
