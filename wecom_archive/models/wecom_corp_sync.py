import logging
from datetime import UTC, datetime

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib.directory import (
    fetch_consent,
    fetch_customer,
    fetch_customers,
    fetch_departments,
    fetch_external_groups,
    fetch_internal_group,
    fetch_permit,
    fetch_users,
)
from ..lib.normalize import id_kind
from ..lib.wecom_api import DEFAULT_BASE_URL, WecomApi, WecomApiError
from .wecom_access_token import token_store
from .wecom_secret import SECRET_GROUP, is_set, write_only

_logger = logging.getLogger(__name__)

SYNC_LOCK = 0x7779_6E63  # "wync": first key of the sync's advisory lock (second: corp id)


def _when(unix):
    """Naive UTC datetime of a unix time; None for 0."""
    return datetime.fromtimestamp(unix, UTC).replace(tzinfo=None) if unix else None


class MissingSecret(Exception):
    """A sync step needs a secret that is not configured."""


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    api_base_url = fields.Char(
        "API Base URL",
        default=DEFAULT_BASE_URL,
        required=True,
        help="WeCom's server API. Only system administrators may change it: the secrets are "
        "sent there.",
    )
    contact_secret = fields.Char(
        "Contacts Secret (stored)",
        groups=SECRET_GROUP,
        copy=False,
        help="Secret of 管理工具 → 通讯录同步 (departments and members). Empty: the "
        "application's secret is used.",
    )
    contact_secret_input = write_only("contact_secret", "Contacts Secret")
    contact_secret_set = is_set("contact_secret", "Contacts Secret Set")
    customer_secret = fields.Char(
        "Customer Contact Secret (stored)",
        groups=SECRET_GROUP,
        copy=False,
        help="Secret of 客户联系 (customers and customer groups). Empty: the application's "
        "secret is used.",
    )
    customer_secret_input = write_only("customer_secret", "Customer Contact Secret")
    customer_secret_set = is_set("customer_secret", "Customer Contact Secret Set")
    agent_id = fields.Char("Application AgentId", help="The self-built application (自建应用).")
    app_secret = fields.Char(
        "Application Secret (stored)",
        groups=SECRET_GROUP,
        copy=False,
        help="Secret of the self-built application: alerts by application message, QR login.",
    )
    app_secret_input = write_only("app_secret", "Application Secret")
    app_secret_set = is_set("app_secret", "Application Secret Set")
    callback_token = fields.Char("Callback Token (stored)", groups=SECRET_GROUP, copy=False)
    callback_token_input = write_only("callback_token", "Callback Token")
    callback_token_set = is_set("callback_token", "Callback Token Set")
    callback_aes_key = fields.Char(
        "Callback EncodingAESKey (stored)", groups=SECRET_GROUP, copy=False
    )
    callback_aes_key_input = write_only("callback_aes_key", "Callback EncodingAESKey")
    callback_aes_key_set = is_set("callback_aes_key", "Callback EncodingAESKey Set")
    callback_url = fields.Char("Callback URL", compute="_compute_callback_url")
    session_window_days = fields.Integer(
        "Conversation Window (days)",
        default=7,
        help="A customer with messages within this many days is In Conversation (正常对话中).",
    )
    last_sync_ok = fields.Datetime("Last Successful Sync", readonly=True, copy=False)
    sync_error = fields.Text("Last Sync Errors", readonly=True, copy=False)
    sync_progress = fields.Char(readonly=True, copy=False)
    alert_error = fields.Char(
        "Last WeCom Alert Error", readonly=True, copy=False, help="Alerts are retried."
    )
    member_count = fields.Integer(compute="_compute_directory_counts")
    contact_count = fields.Integer(compute="_compute_directory_counts")
    group_count = fields.Integer(compute="_compute_directory_counts")

    _SYSTEM_ONLY = frozenset({"sdk_library_path", "api_base_url"})

    def _compute_callback_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for corp in self:
            corp.callback_url = f"{base}/wecom_archive/callback/{corp.id}" if corp.id else False

    def _compute_directory_counts(self):
        for field, model in (
            ("member_count", "wecom.member"),
            ("contact_count", "wecom.contact"),
            ("group_count", "wecom.group"),
        ):
            counts = dict(
                self.env[model]._read_group([("corp_id", "in", self.ids)], ["corp_id"], ["__count"])
            )
            for corp in self:
                corp[field] = counts.get(corp, 0)

    # -- API clients -------------------------------------------------------------------------
    def _api(self, purpose):
        """A WecomApi with the secret for ``purpose``: archive (msgaudit/*), contact
        (departments, members), customer (customers, customer groups) or app."""
        self.ensure_one()
        corp = self.sudo()
        secret = {
            "archive": corp.secret,
            "contact": corp.contact_secret or corp.app_secret,
            "customer": corp.customer_secret or corp.app_secret,
            "app": corp.app_secret,
        }[purpose]
        if not secret:
            raise MissingSecret(purpose)
        return WecomApi(
            corp.corpid,
            secret,
            base_url=corp.api_base_url,
            timeout=min(corp.timeout, 30),
            store=token_store(self.env.cr.dbname),
        )

    def _missing_secret_message(self, purpose):
        return {
            "archive": self.env._("The archive secret (会话内容存档) is not configured."),
            "contact": self.env._(
                "Neither the contacts secret (通讯录同步) nor the application secret is configured."
            ),
            "customer": self.env._(
                "Neither the customer contact secret (客户联系) nor the application secret is "
                "configured."
            ),
            "app": self.env._("The application secret is not configured."),
        }[purpose]

    # -- the sync job ------------------------------------------------------------------------
    def _sync(self, full=True):
        """Sync the directory, customers, groups and consent of this corp from WeCom.

        Each step reads all it needs before writing anything, in its own savepoint, and is
        committed on its own: a failing or malformed answer leaves that step's data as it
        was, reports the error, and the other steps still run. Returns the list of error
        messages, or None when another sync of this corp holds the lock.
        """
        self.ensure_one()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [SYNC_LOCK, self.id])
        if not cr.fetchone()[0]:
            _logger.info("corp %s: another sync is running", self.corpid)
            return None
        errors = []
        steps = [
            (self.env._("departments and members"), self._sync_directory),
            (self.env._("customers"), self._sync_customers),
            (self.env._("group chats"), self._sync_groups),
            (self.env._("archive consent"), self._sync_consent),
        ]
        try:
            for index, (label, step) in enumerate(steps):
                self._set_sync_progress(
                    self.env._("%(step)s (%(n)s/%(total)s)", step=label, n=index + 1, total=4)
                )
                try:
                    with cr.savepoint():
                        step(full)
                except WecomApiError as error:
                    _logger.warning("corp %s: sync of %s failed: %s", self.corpid, label, error)
                    errors.append(f"{label}: {error.message(self.env.lang)}")
                except MissingSecret as missing:
                    errors.append(f"{label}: {self._missing_secret_message(missing.args[0])}")
                self.env.invalidate_all()
                self._commit()
            self._refresh_session_status()
            values = {"sync_error": "\n".join(errors) or False, "sync_progress": False}
            if not errors:
                values["last_sync_ok"] = fields.Datetime.now()
            self.sudo().write(values)
            self._commit()
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, %s)", [SYNC_LOCK, self.id])
        return errors

    def _set_sync_progress(self, text):
        self.env.cr.execute(
            "UPDATE wecom_corp SET sync_progress = %s WHERE id = %s", [text, self.id]
        )
        self.invalidate_recordset(["sync_progress"])
        self._commit()

    def action_sync(self):
        """The "Sync Now" button: a full sync."""
        self.ensure_one()
        if not self.env.user.has_group("wecom_archive.group_wecom_manager"):
            raise AccessError(self.env._("Only WeCom administrators can sync the directory."))
        # The sync writes what WeCom says, on models admins may only read.
        errors = self.sudo()._sync(full=True)
        if errors is None:
            raise UserError(self.env._("A sync of this corp is running; try again shortly."))
        if errors:
            raise UserError(
                self.env._("The sync finished with errors:\n%(errors)s", errors="\n".join(errors))
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("WeCom"),
                "message": self.env._(
                    "Synced: %(members)s members, %(contacts)s customers, %(groups)s groups.",
                    members=self.member_count,
                    contacts=self.contact_count,
                    groups=self.group_count,
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_sync(self, full=False):
        corps = self.search([])
        for index, corp in enumerate(corps):
            corp._sync(full=full)
            self.env["ir.cron"]._notify_progress(done=index + 1, remaining=len(corps) - index - 1)

    # -- directory: departments, members, archive scope ----------------------------------------
    def _sync_directory(self, full):
        contact_api = self._api("contact")
        departments = fetch_departments(contact_api)
        users = fetch_users(contact_api, departments)
        permit = fetch_permit(self._api("archive"))
        self._write_departments(departments)
        self._write_members(departments, users, permit)

    def _write_departments(self, departments):
        Department = self.env["wecom.department"].with_context(active_test=False)
        existing = {d.department_id: d for d in Department.search([("corp_id", "=", self.id)])}
        for item in departments:
            values = {"name": item["name"], "sequence": item["order"], "active": True}
            record = existing.get(item["id"])
            if record:
                _write_changed(record, values)
            else:
                values.update(corp_id=self.id, department_id=item["id"])
                existing[item["id"]] = Department.create(values)
        for item in departments:
            parent = existing.get(item["parentid"])
            _write_changed(existing[item["id"]], {"parent_id": parent.id if parent else False})
        gone = [d for key, d in existing.items() if key not in {i["id"] for i in departments}]
        for department in gone:
            _write_changed(department, {"active": False})

    def _write_members(self, departments, users, permit):
        Member = self.env["wecom.member"].with_context(active_test=False)
        Department = self.env["wecom.department"].with_context(active_test=False)
        department_ids = {
            d.department_id: d.id for d in Department.search([("corp_id", "=", self.id)])
        }
        existing = {m.userid: m for m in Member.search([("corp_id", "=", self.id)])}
        now = fields.Datetime.now()
        moved = Member
        for user in users:
            departments_of = [department_ids[d] for d in user["departments"] if d in department_ids]
            values = {
                "name": user["name"],
                "position": user["position"],
                "department_ids": departments_of,
                "main_department_id": department_ids.get(user["main_department"], False),
                "leader_department_ids": [
                    department_ids[d] for d in user["leader_of"] if d in department_ids
                ],
                "wecom_status": str(user["status"]) if user["status"] in (1, 2, 4, 5) else "1",
                "gender": user["gender"] if user["gender"] in ("0", "1", "2") else "0",
                "avatar_url": user["avatar"] or False,
                "email": user["email"] or False,
                "synced_on": now,
                "active": True,
            }
            member = existing.get(user["userid"])
            if member:
                if set(member.department_ids.ids) != set(departments_of):
                    moved |= member
                _write_changed(member, values)
            else:
                member = Member.create({**values, "corp_id": self.id, "userid": user["userid"]})
                existing[user["userid"]] = member
                moved |= member
        in_directory = {u["userid"] for u in users}
        for userid, member in existing.items():
            if userid not in in_directory and member.synced_on:
                _write_changed(member, {"wecom_status": "removed"})
        # Leaders named by the departments themselves (department/list's department_leader).
        for item in departments:
            leaders = [existing[u].id for u in item["leaders"] if u in existing]
            if leaders and item["id"] in department_ids:
                Department.browse(department_ids[item["id"]]).leader_ids = [
                    Command.link(m) for m in leaders
                ]
        self._write_archive_status(existing, permit, now)
        self._link_users(Member.search([("corp_id", "=", self.id), ("user_id", "=", False)]))
        if moved:
            self._backfill_departments(moved.ids)

    def _write_archive_status(self, members, permit, now):
        """归档中 while in the archive scope; 曾归档 once out of it after having archived chats
        (a member who had chats with customers was in scope: those are only archived then)."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT DISTINCT r.wecom_member_id FROM wecom_conversation_member_rel r
                 JOIN wecom_conversation c ON c.id = r.wecom_conversation_id
                WHERE c.corp_id = %s AND c.kind = 'external'""",
            [self.id],
        )
        with_customer_chats = {row[0] for row in self.env.cr.fetchall()}
        for userid, member in members.items():
            if userid in permit:
                values = {"archive_status": "archiving", "archive_until": False}
                if member.archive_status != "archiving":
                    values["archive_since"] = now
            elif member.archive_status == "archiving":
                values = {"archive_status": "archived", "archive_until": now}
            elif member.id in with_customer_chats:
                values = {"archive_status": "archived"}
            else:
                values = {"archive_status": "none"}
            _write_changed(member, values)

    def _link_users(self, members):
        """Link members to the Odoo user whose login or email is their userid or email
        (WeCom userids are case-insensitive, Odoo logins are not lowercased)."""
        if not members:
            return
        keys = {m.userid.lower() for m in members} | {m.email.lower() for m in members if m.email}
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT u.id FROM res_users u JOIN res_partner p ON p.id = u.partner_id
                WHERE u.active AND (lower(u.login) = ANY(%(keys)s)
                                    OR lower(p.email) = ANY(%(keys)s))
                ORDER BY u.id""",
            {"keys": list(keys)},
        )
        users = self.env["res.users"].sudo().browse(row[0] for row in self.env.cr.fetchall())
        by_key = {}
        for user in users:
            for key in (user.login, user.email):
                if key:
                    by_key.setdefault(key.lower(), user)
        for member in members:
            user = by_key.get(member.userid.lower()) or by_key.get((member.email or "").lower())
            if user and (not user.company_ids or self.company_id in user.company_ids):
                member.user_id = user

    def _backfill_departments(self, member_ids):
        """Messages and conversations carry their members' departments (for scoping): add
        the departments of members whose departments changed (earlier ones are kept). The
        cases recorded while their employee's departments were unknown get one."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """INSERT INTO wecom_message_department_rel (wecom_message_id, wecom_department_id)
               SELECT mm.wecom_message_id, dm.wecom_department_id
                 FROM wecom_message_member_rel mm
                 JOIN wecom_department_wecom_member_rel dm
                   ON dm.wecom_member_id = mm.wecom_member_id
                WHERE mm.wecom_member_id = ANY(%s)
               ON CONFLICT DO NOTHING""",
            [member_ids],
        )
        cr.execute(
            """INSERT INTO wecom_conversation_department_rel
                      (wecom_conversation_id, wecom_department_id)
               SELECT cm.wecom_conversation_id, dm.wecom_department_id
                 FROM wecom_conversation_member_rel cm
                 JOIN wecom_department_wecom_member_rel dm
                   ON dm.wecom_member_id = cm.wecom_member_id
                WHERE cm.wecom_member_id = ANY(%s)
               ON CONFLICT DO NOTHING""",
            [member_ids],
        )
        self.env["wecom.violation"]._backfill_departments(member_ids)
        self.env.invalidate_all()

    # -- customers -------------------------------------------------------------------------------
    def _sync_customers(self, full):
        api = self._api("customer")
        Contact = self.env["wecom.contact"]
        if full:
            members = self.env["wecom.member"].search(
                [("corp_id", "=", self.id), ("wecom_status", "in", ("1", "4"))]
            )
            userids = members.mapped("userid")
            customers = fetch_customers(api, userids)
            self._write_customers(customers, followers_of=set(userids))
        else:
            pending = Contact.search([("corp_id", "=", self.id), ("synced_on", "=", False)])
            answers = {c.external_userid: fetch_customer(api, c.external_userid) for c in pending}
            self._write_customers({k: v for k, v in answers.items() if v})
            self._write_not_customers([k for k, v in answers.items() if v is None])

    def _ensure(self, model, column, keys):
        """{key: record id} of members/contacts, created by id only when unknown."""
        table = self.env[model]._table
        return self.env["wecom.message"]._ensure_rows(self, table, column, list(keys))

    def _write_customers(self, customers, followers_of=None):
        """Write customers and their followers. A follow relation that WeCom no longer
        reports becomes former: for ``followers_of`` members (full sync), or else for the
        customers given."""
        if not customers and not followers_of:
            return
        now = fields.Datetime.now()
        Contact = self.env["wecom.contact"]
        Follow = self.env["wecom.contact.follow"]
        contacts = self._ensure(
            "wecom.contact", "external_userid", customers.keys() if customers else []
        )
        userids = {f["userid"] for c in customers.values() for f in c["follows"]}
        members = self._ensure("wecom.member", "userid", userids)
        self.env.invalidate_all()
        records = Contact.browse(list(contacts.values()))
        follows = {(f.contact_id.id, f.member_id.id): f for f in records.follow_ids}
        reported = set()
        for external, customer in customers.items():
            contact = Contact.browse(contacts[external])
            _write_changed(
                contact,
                {
                    "name": customer["name"] or contact.name,
                    "contact_type": str(customer["type"]) if customer["type"] in (1, 2) else "1",
                    "corp_name": customer["corp_name"] or False,
                    "avatar_url": customer["avatar"] or False,
                    "gender": str(customer["gender"]) if customer["gender"] in (0, 1, 2) else "0",
                    "synced_on": now,
                },
            )
            for item in customer["follows"]:
                key = (contact.id, members[item["userid"]])
                reported.add(key)
                values = {
                    "remark": item["remark"] or False,
                    "description": item["description"] or False,
                    "mobiles": ",".join(item["mobiles"]) or False,
                    "added_on": _when(item["createtime"]),
                    "add_way": str(item["add_way"]),
                    "state": "current",
                    "removed_on": False,
                    "removed_by": False,
                }
                if values["add_way"] not in dict(Follow._fields["add_way"].selection):
                    values["add_way"] = "0"
                if key in follows:
                    _write_changed(follows[key], values)
                else:
                    follows[key] = Follow.create(
                        {**values, "contact_id": key[0], "member_id": key[1]}
                    )
        if followers_of is not None:
            stale = Follow.search(
                [
                    ("corp_id", "=", self.id),
                    ("state", "=", "current"),
                    ("member_id.userid", "in", list(followers_of)),
                ]
            )
        else:
            stale = records.follow_ids.filtered(lambda f: f.state == "current")
        stale = stale.filtered(lambda f: (f.contact_id.id, f.member_id.id) not in reported)
        stale.write({"state": "former", "removed_on": now})
        self._refresh_follow_counts((records | stale.contact_id).ids)

    def _write_not_customers(self, externals):
        """WeCom says these are nobody's customers (84061): every follower is former."""
        if not externals:
            return
        contacts = self.env["wecom.contact"].search(
            [("corp_id", "=", self.id), ("external_userid", "in", externals)]
        )
        current = contacts.follow_ids.filtered(lambda f: f.state == "current")
        current.write({"state": "former", "removed_on": fields.Datetime.now()})
        contacts.write({"synced_on": fields.Datetime.now()})
        self._refresh_follow_counts(contacts.ids)

    def _refresh_follow_counts(self, contact_ids):
        """Follower counts, added on, source and description, from the follow relations."""
        if not contact_ids:
            return
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE wecom_contact c
                  SET follower_count = s.current, former_follower_count = s.former,
                      added_on = s.added_on, add_way = s.add_way, description = s.description
                 FROM (SELECT c2.id,
                              count(f.id) FILTER (WHERE f.state = 'current') AS current,
                              count(f.id) FILTER (WHERE f.state = 'former') AS former,
                              min(f.added_on) AS added_on,
                              (array_agg(f.add_way ORDER BY f.added_on, f.id))[1] AS add_way,
                              (array_agg(f.description ORDER BY f.added_on, f.id))[1]
                                  AS description
                         FROM wecom_contact c2
                         LEFT JOIN wecom_contact_follow f ON f.contact_id = c2.id
                        WHERE c2.id = ANY(%s)
                        GROUP BY c2.id) s
                WHERE c.id = s.id""",
            [list(contact_ids)],
        )
        self.env["wecom.contact"].invalidate_model()

    # -- group chats -------------------------------------------------------------------------
    def _sync_groups(self, full):
        Group = self.env["wecom.group"]
        known = Group.search([("corp_id", "=", self.id)])
        self.env.cr.execute(
            """SELECT DISTINCT roomid FROM wecom_conversation
                WHERE corp_id = %s AND kind = 'group' AND roomid IS NOT NULL""",
            [self.id],
        )
        rooms = {row[0] for row in self.env.cr.fetchall()}
        groups = []
        try:
            customer_api = self._api("customer")
        except MissingSecret:
            customer_api = None
        external_ids = set()
        if customer_api:
            body = {"status_filter": 0, "limit": 1000}
            listed = [
                str(item.get("chat_id"))
                for item in customer_api.paged(
                    "externalcontact/groupchat/list", body, "group_chat_list"
                )
            ]
            external_ids = set(listed)
            fresh = {g.roomid for g in known if g.synced_on}
            wanted = listed if full else [r for r in listed if r not in fresh]
            groups += fetch_external_groups(customer_api, only=wanted)
        archive_api = self._api("archive")
        internal = sorted(rooms - external_ids)
        if not full:
            internal = [r for r in internal if r not in {g.roomid for g in known if g.synced_on}]
        for roomid in internal:
            group = fetch_internal_group(archive_api, roomid)
            if group:
                groups.append(group)
        self._write_groups(groups)
        if customer_api:
            gone = known.filtered(lambda g: g.kind == "external" and g.roomid not in external_ids)
            gone.write({"dismissed": True})

    def _write_groups(self, groups):
        Group = self.env["wecom.group"]
        Line = self.env["wecom.group.member"].with_context(active_test=False)
        now = fields.Datetime.now()
        parties = {m["id"] for g in groups for m in g["members"]} | {g["owner"] for g in groups}
        parties.discard("")
        members = self._ensure(
            "wecom.member", "userid", [p for p in parties if not _is_external(p)]
        )
        contacts = self._ensure(
            "wecom.contact", "external_userid", [p for p in parties if _is_external(p)]
        )
        self.env.invalidate_all()
        existing = {g.roomid: g for g in Group.search([("corp_id", "=", self.id)])}
        for item in groups:
            values = {
                "name": item["name"] or False,
                "kind": item["kind"],
                "owner_id": members.get(item["owner"], False),
                "notice": item["notice"] or False,
                "created_on": _when(item["create_time"]),
                "synced_on": now,
                "dismissed": False,
            }
            group = existing.get(item["roomid"])
            if group:
                _write_changed(group, values)
            else:
                group = Group.create({**values, "corp_id": self.id, "roomid": item["roomid"]})
            lines = {line.party: line for line in Line.search([("group_id", "=", group.id)])}
            present = set()
            for person in item["members"]:
                present.add(person["id"])
                values = {
                    "external": person["external"] or _is_external(person["id"]),
                    "member_id": members.get(person["id"], False),
                    "contact_id": contacts.get(person["id"], False),
                    "join_time": _when(person["join_time"]),
                    "join_scene": str(person["join_scene"])
                    if person["join_scene"] in (0, 1, 2, 3)
                    else "0",
                    "active": True,
                    "left_on": False,
                }
                line = lines.get(person["id"])
                if line:
                    _write_changed(line, values)
                else:
                    Line.create({**values, "group_id": group.id, "party": person["id"]})
            for party, line in lines.items():
                if party not in present and line.active:
                    line.write({"active": False, "left_on": now})
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE wecom_conversation c SET group_id = g.id
                 FROM wecom_group g
                WHERE g.corp_id = c.corp_id AND g.roomid = c.roomid AND c.corp_id = %s
                  AND c.group_id IS DISTINCT FROM g.id""",
            [self.id],
        )
        self.env["wecom.conversation"].invalidate_model(["group_id"])

    # -- consent ---------------------------------------------------------------------------------
    def _sync_consent(self, full):
        """Archive consent of every 1:1 customer chat (full), or of the chats with recent
        messages or unknown consent (incremental); the latest change wins."""
        query = """
            SELECT DISTINCT m.userid, ct.external_userid
              FROM wecom_conversation c
              JOIN wecom_contact ct ON ct.id = c.contact_id
              JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = c.id
              JOIN wecom_member m ON m.id = r.wecom_member_id
             WHERE c.corp_id = %s AND c.kind = 'external'"""
        params = [self.id]
        if not full:
            query += """ AND (ct.consent_status = 'unknown'
                              OR c.last_msgtime >= (now() at time zone 'UTC')
                                                   - %s * interval '1 day')"""
            params.append(max(self.session_window_days, 1))
        self.env.flush_all()
        self.env.cr.execute(query, params)
        pairs = self.env.cr.fetchall()
        if not pairs:
            return
        answers = fetch_consent(self._api("archive"), pairs)
        latest = {}
        for (_userid, external), (status, unix) in answers.items():
            if external not in latest or unix > latest[external][1]:
                latest[external] = (status, unix)
        contacts = self.env["wecom.contact"].search(
            [("corp_id", "=", self.id), ("external_userid", "in", list(latest))]
        )
        for contact in contacts:
            status, unix = latest[contact.external_userid]
            when = _when(unix)
            if when is None:
                if contact.consent_status == "unknown":
                    contact.consent_status = status
            elif not contact.consent_time or contact.consent_time <= when:
                _write_changed(contact, {"consent_status": status, "consent_time": when})

    # -- callbacks -------------------------------------------------------------------------------
    def _handle_callback(self, event):
        """React to a verified, decrypted callback event (a flat dict of its XML)."""
        self.ensure_one()
        kind, change = event.get("Event"), event.get("ChangeType")
        _logger.info("corp %s: callback %s %s", self.corpid, kind, change or "")
        if kind == "msgaudit_notify":
            self.env.ref("wecom_archive.ir_cron_wecom_pull")._trigger()
            return
        if kind == "change_external_contact" and event.get("ExternalUserID"):
            external = event["ExternalUserID"]
            contact_id = self._ensure("wecom.contact", "external_userid", [external])[external]
            contact = self.env["wecom.contact"].browse(contact_id)
            if change in ("del_external_contact", "del_follow_user") and event.get("UserID"):
                follow = contact.follow_ids.filtered(
                    lambda f: f.member_id.userid == event["UserID"]
                )
                follow.write(
                    {
                        "state": "former",
                        "removed_on": fields.Datetime.now(),
                        "removed_by": "member" if change == "del_external_contact" else "customer",
                    }
                )
                self._refresh_follow_counts(contact.ids)
                self._refresh_session_status()
            else:
                contact.synced_on = False
        elif kind == "change_external_chat" and event.get("ChatId"):
            Group = self.env["wecom.group"]
            group = Group.search([("corp_id", "=", self.id), ("roomid", "=", event["ChatId"])])
            if change == "dismiss":
                group.dismissed = True
                return
            if not group:
                group = Group.create(
                    {"corp_id": self.id, "roomid": event["ChatId"], "kind": "external"}
                )
            group.synced_on = False
        elif kind != "change_contact":
            return
        self.env.ref("wecom_archive.ir_cron_wecom_sync")._trigger()

    # -- session status --------------------------------------------------------------------------
    def _refresh_session_status(self):
        """正常对话中 / 会话中断 / 当前无会话 of every customer of these corps (set-based)."""
        self.env.flush_all()
        for corp in self:
            self.env.cr.execute(
                """UPDATE wecom_contact c
                      SET last_msgtime = s.last,
                          session_status = CASE
                              WHEN c.consent_status = 'disagree'
                                   OR (c.follower_count = 0 AND c.former_follower_count > 0)
                                  THEN 'interrupted'
                              WHEN s.last >= (now() at time zone 'UTC') - %s * interval '1 day'
                                  THEN 'active'
                              ELSE 'none' END
                     FROM (SELECT ct.id, max(cv.last_msgtime) AS last
                             FROM wecom_contact ct
                             LEFT JOIN wecom_conversation cv ON cv.contact_id = ct.id
                            WHERE ct.corp_id = %s
                            GROUP BY ct.id) s
                    WHERE c.id = s.id""",
                [max(corp.session_window_days, 0), corp.id],
            )
        self.env["wecom.contact"].invalidate_model(["last_msgtime", "session_status"])


def _is_external(party):
    return id_kind(party) == "external"


def _write_changed(record, values):
    """Write only the values that differ (syncs rewrite the same data again and again)."""
    changed = {}
    for name, value in values.items():
        field = record._fields[name]
        current = record[name]
        if field.type in ("many2one",):
            current = current.id
        elif field.type in ("many2many", "one2many"):
            if set(current.ids) == set(value):
                continue
            changed[name] = [Command.set(value)]
            continue
        if (current or False) != (value or False):
            changed[name] = value
    if changed:
        record.write(changed)
