import contextlib
import gc
import logging
import resource
import threading
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import AccessError, UserError
from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config

from ..lib.crypto import InvalidKeyError, load_private_key
from ..lib.decrypt import Decryptor, Prefetcher
from ..lib.stats import Schedule
from ..native.errors import SdkError
from ..native.sdk import SdkClient, with_retry
from .bigint import BigInteger
from .wecom_secret import SECRET_GROUP, is_set, write_only

_logger = logging.getLogger(__name__)

# First key of the two-int advisory locks taken by the pipeline (the second is the corp id).
PULL_LOCK = 0x7765_636F  # "weco"
STAT_TZ = "Asia/Shanghai"  # the statistics' time zone of a corp that sets none


@contextlib.contextmanager
def _heap_frozen():
    """The objects alive when a pull starts (Odoo's registry, modules, caches: millions)
    left out of the garbage collector's full passes while it runs. A pull allocates
    enough to trigger several, each walking the whole heap: about 0.1 s apiece, a few per
    20,000 messages, on the cores the decryption needs. What the pull drops is collected as
    before; the frozen objects go back to the collector when it ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class WecomCorp(models.Model):
    """A WeCom corp whose conversations are archived (one per Odoo company)."""

    _name = "wecom.corp"
    _description = "WeCom Corp"
    _inherit = ["mail.thread"]
    _order = "company_id, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    corpid = fields.Char("Corp ID", required=True, help="企业ID, under 我的企业 → 企业信息.")
    secret = fields.Char(
        "Archive Secret (stored)",
        groups=SECRET_GROUP,
        copy=False,
        help="The Secret of 管理工具 → 会话内容存档.",
    )
    secret_input = write_only("secret", "Archive Secret", help="The Secret of 会话内容存档.")
    secret_set = is_set("secret", "Archive Secret Set")
    sdk_library_path = fields.Char(
        "SDK Library Path",
        default="/opt/wecom/libWeWorkFinanceSdk_C.so",
        required=True,
        help="Absolute path of libWeWorkFinanceSdk_C.so on the Odoo server.",
    )
    proxy = fields.Char(help="Optional proxy for the SDK, e.g. socks5://10.0.0.1:1080.")
    proxy_password = fields.Char(
        "Proxy Password (stored)", groups=SECRET_GROUP, copy=False, help="user:password"
    )
    proxy_password_input = write_only("proxy_password", "Proxy Password", help="user:password")
    proxy_password_set = is_set("proxy_password", "Proxy Password Set")
    timeout = fields.Integer("Timeout (s)", default=30, required=True)
    batch_size = fields.Integer(default=1000, required=True)
    decrypt_processes = fields.Integer(
        "Decryption Processes",
        default=0,
        help="Processes decrypting in parallel during a pull (RSA, the costly step, about "
        "1,600 messages per second each). 0: one per CPU core; fewer leaves cores to the "
        "web workers of the same server.",
    )
    seq = BigInteger(
        "Last Stored Seq",
        readonly=True,
        copy=False,
        help="Largest seq stored; the next pull asks for the records after it.",
    )
    key_ids = fields.One2many("wecom.corp.key", "corp_id", string="Private Keys")
    last_pull_ok = fields.Datetime("Last Successful Pull", readonly=True, copy=False)
    last_error = fields.Char("Last Pull Error", readonly=True, copy=False)
    isolated_error = fields.Char(
        "Records Set Aside",
        readonly=True,
        copy=False,
        help="Records the Finance SDK crashed or hung on, stored as failed with their "
        "encrypted payload so the pull could go on. Retry Failed Messages tries them again.",
    )
    lag_alarm_hours = fields.Integer(
        "Lag Alarm (hours)",
        default=12,
        help="Alert the WeCom administrators when no pull has succeeded for this long. "
        "WeCom drops archived chats after about 5 days.",
    )
    lag_alarm_sent = fields.Boolean(readonly=True, copy=False)
    max_media_size_mb = fields.Integer(
        "Max Media Size (MB)", default=100, help="Larger files are marked Too Large, not fetched."
    )
    message_total = fields.Integer("Archived Messages", compute="_compute_message_stats")
    message_failed = fields.Integer("Messages to Reprocess", compute="_compute_message_stats")
    # Statistics: days are local days, first replies are timed in working hours.
    tz = fields.Selection(
        _tz_get,
        "Time Zone",
        default=STAT_TZ,
        help="The statistics count days, and working hours, in this time zone.",
    )
    work_monday = fields.Boolean("Monday", default=True)
    work_tuesday = fields.Boolean("Tuesday", default=True)
    work_wednesday = fields.Boolean("Wednesday", default=True)
    work_thursday = fields.Boolean("Thursday", default=True)
    work_friday = fields.Boolean("Friday", default=True)
    work_saturday = fields.Boolean("Saturday")
    work_sunday = fields.Boolean("Sunday")
    work_hour_from = fields.Float(
        "Working Hours From",
        default=9.0,
        help="First replies are timed in working hours: a night or a weekend between a "
        "customer's message and the reply does not count.",
    )
    work_hour_to = fields.Float("Working Hours To", default=18.0)

    _sql_constraints = [
        ("corpid_company_uniq", "unique(company_id, corpid)", "This corp is already configured."),
        ("batch_size_range", "check(batch_size between 1 and 1000)", "Batch size is 1 to 1000."),
        ("timeout_positive", "check(timeout > 0)", "The timeout must be positive."),
        (
            "decrypt_processes_positive",
            "check(decrypt_processes >= 0)",
            "The number of decryption processes cannot be negative.",
        ),
        (
            "work_hours_range",
            "check(work_hour_from >= 0 and work_hour_from < work_hour_to and work_hour_to <= 24)",
            "Working hours run from 00:00 to 24:00, and start before they end.",
        ),
    ]

    # Loading a shared library runs its code in the Odoo server: only system administrators
    # may choose which one.
    _SYSTEM_ONLY = frozenset({"sdk_library_path"})

    @api.model_create_multi
    def create(self, vals_list):
        self._check_system_only({key for vals in vals_list for key in vals})
        return super().create(vals_list)

    def write(self, vals):
        self._check_system_only(set(vals))
        return super().write(vals)

    def _check_system_only(self, fnames):
        if fnames & self._SYSTEM_ONLY and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only system administrators can set the SDK library."))

    def _compute_message_stats(self):
        groups = self.env["wecom.message"]._read_group(
            [("corp_id", "in", self.ids)], ["corp_id", "state"], ["__count"]
        )
        counts = {}
        for corp, state, count in groups:
            total, failed = counts.get(corp.id, (0, 0))
            counts[corp.id] = (total + count, failed + (count if state != "done" else 0))
        for corp in self:
            corp.message_total, corp.message_failed = counts.get(corp.id, (0, 0))

    def _stat_tz(self):
        """The time zone of the corp's statistics days."""
        self.ensure_one()
        return self.tz or STAT_TZ

    def _stat_schedule(self):
        """The corp's working hours, as lib.stats times first replies with them."""
        days = (
            self.work_monday,
            self.work_tuesday,
            self.work_wednesday,
            self.work_thursday,
            self.work_friday,
            self.work_saturday,
            self.work_sunday,
        )
        return Schedule(
            tz=self._stat_tz(),
            weekdays=frozenset(day for day, works in enumerate(days) if works),
            start=self.work_hour_from,
            end=self.work_hour_to,
        )

    def _sdk_client(self):
        """An SdkClient for this corp (the caller closes it)."""
        self.ensure_one()
        corp_sudo = self.sudo()
        return SdkClient(
            corp_sudo.sdk_library_path,
            corp_sudo.corpid,
            corp_sudo.secret or "",
            proxy=corp_sudo.proxy or "",
            proxy_password=corp_sudo.proxy_password or "",
            timeout=corp_sudo.timeout,
        )

    def _sdk_error_message(self, error):
        return error.message(self.env.lang or "en_US")

    def action_test_connection(self):
        """Ask the SDK for one record after the stored seq and say plainly what happened."""
        self.ensure_one()
        try:
            with self._sdk_client() as client:
                records = client.get_chat_data(self.seq, limit=1)
        except SdkError as error:
            _logger.info("Test connection of corp %s failed: code %s", self.corpid, error.code)
            raise UserError(self._sdk_error_message(error)) from None
        message = (
            self.env._("Connected. New archived messages are waiting to be pulled.")
            if records
            else self.env._("Connected. No new archived messages right now.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("WeCom"), "message": message, "type": "success"},
        }

    @api.constrains("sdk_library_path")
    def _check_sdk_library_path(self):
        for corp in self:
            if not corp.sdk_library_path.startswith("/"):
                raise UserError(self.env._("The SDK library path must be absolute."))

    # -- pulling -----------------------------------------------------------------------------
    def _private_keys(self):
        """{version: PEM} of the keys that parse; a broken key is skipped, not fatal."""
        keys = {}
        for key in self.sudo().key_ids:
            try:
                load_private_key(key.private_key)
            except InvalidKeyError:
                _logger.warning("corp %s: key version %s is invalid", self.corpid, key.version)
            else:
                keys[key.version] = key.private_key
        return keys

    def _decryptor(self):
        """The decryption worker processes of a pull (the caller closes them)."""
        self.ensure_one()
        return Decryptor(
            self.sudo().sdk_library_path,
            self._private_keys(),
            workers=self.decrypt_processes or None,
        )

    def _isolated_note(self, results):
        """Log the records the SDK crashed or hung on (set aside by the decryptor, stored
        as failed with their payload) and return a line naming them, for isolated_error."""
        isolated = [item.record for item in results if item.isolated]
        for record in isolated:
            _logger.warning(
                "corp %s: the SDK crashed on seq %s (msgid %s): set aside as decrypt_error",
                self.corpid,
                record.get("seq"),
                record.get("msgid"),
            )
        if not isolated:
            return ""
        return self.env._(
            "The Finance SDK crashed on %(count)s record(s), set aside so the pull went on: "
            "%(records)s",
            count=len(isolated),
            records=", ".join(
                f"seq {r.get('seq')} (msgid {r.get('msgid')})" for r in isolated[:10]
            ),
        )

    def _try_lock(self):
        """Serialise the pipeline per corp: one transaction at a time holds this lock."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [PULL_LOCK, self.id])
        return self.env.cr.fetchone()[0]

    def _commit(self):
        if not config["test_enable"]:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _begin(self):
        """Start the next pipeline transaction in READ COMMITTED: each statement then sees
        what other workers committed before it (the seq, the rows they stored), so a worker
        that waited for the lock never works from a stale snapshot."""
        if not config["test_enable"]:
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    def _pull(self, time_budget=None, max_batches=None):
        """Pull, decrypt and store new archive records, batch after batch.

        Each batch is stored with the seq that covers it in one transaction, committed at
        once: a crash at any point loses nothing and duplicates nothing. While a batch is
        being stored, the next one is already fetched and decrypted on the other cores.
        Returns the number of messages stored, or None when another pull of this corp
        holds the lock.
        """
        self.ensure_one()
        self.env.flush_all()  # the pipeline reads and writes with SQL
        deadline = None if time_budget is None else time.monotonic() + time_budget
        stored = batches = 0
        batch_size = self.batch_size
        try:
            with (
                _heap_frozen(),
                self._sdk_client() as client,
                self._decryptor() as decryptor,
                Prefetcher(
                    lambda from_seq: with_retry(lambda: client.get_chat_data(from_seq, batch_size)),
                    decryptor,
                    batch_size,
                ) as prefetcher,
            ):
                while True:
                    self._begin()
                    if not self._try_lock():
                        _logger.info("corp %s: another pull is running", self.corpid)
                        return None if not batches else stored
                    self.env.cr.execute("SELECT seq FROM wecom_corp WHERE id = %s", [self.id])
                    seq = self.env.cr.fetchone()[0] or 0
                    records, results = prefetcher.batch(seq)
                    last = max((r["seq"] for r in records), default=seq)
                    more = len(records) == batch_size
                    stop = (max_batches and batches + 1 >= max_batches) or (
                        deadline and time.monotonic() > deadline
                    )
                    if records:
                        stored += len(self.env["wecom.message"]._store_batch(self, results))
                    self.env.cr.execute(
                        """UPDATE wecom_corp
                              SET seq = GREATEST(seq, %s), last_pull_ok = now() at time zone 'UTC',
                                  last_error = NULL, lag_alarm_sent = false,
                                  isolated_error = COALESCE(%s, isolated_error)
                            WHERE id = %s""",
                        [last, self._isolated_note(results) or None, self.id],
                    )
                    self._commit()
                    self.invalidate_recordset()
                    batches += 1
                    if not more:
                        break
                    if stop:
                        self.env.ref("wecom_archive.ir_cron_wecom_pull")._trigger()
                        break
        except SdkError as error:
            if not config["test_enable"]:
                self.env.cr.rollback()
            _logger.warning("corp %s: pull failed: %s", self.corpid, error.message("en_US"))
            self.sudo().last_error = error.message("en_US")
            self._commit()
            raise
        return stored

    def action_reprocess(self):
        """The "Retry Failed Messages" button."""
        self.ensure_one()
        try:
            fixed = self.env["wecom.message"]._reprocess(self)
        except SdkError as error:
            raise UserError(self._sdk_error_message(error)) from None
        if fixed is None:
            raise UserError(self.env._("A pull of this corp is running; try again shortly."))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("WeCom"),
                "message": self.env._(
                    "%(fixed)s messages processed; %(left)s still waiting.",
                    fixed=fixed,
                    left=self.message_failed,
                ),
                "type": "info",
            },
        }

    def action_pull(self):
        """The "Pull Now" button."""
        self.ensure_one()
        try:
            stored = self._pull(time_budget=self._time_budget(60, config["limit_time_real"]))
        except SdkError as error:
            raise UserError(self._sdk_error_message(error)) from None
        if stored is None:
            message = self.env._("Another pull of this corp is running; try again shortly.")
        else:
            message = self.env._("%(count)s new records pulled.", count=stored)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("WeCom"), "message": message, "type": "info"},
        }

    @api.model
    def _time_budget(self, cap, real_limit, share=1.0, sleep_allowance=0):
        """Seconds a pipeline run may take: at most ``cap``, and ``share`` of 3/4 of what
        is left of the limits Odoo enforces by killing the run:

        - ``real_limit`` seconds of wall time (0: none), counted from the start of the
          request or cron round when Odoo records it (threaded server), else less
          ``sleep_allowance`` (a prefork cron worker's watchdog counts its sleep too);
        - the CPU time left under the process's RLIMIT_CPU cap, which a prefork worker sets
          from limit_time_cpu for everything one round runs (a run's Python takes at most
          one core; the decryption processes do not count).
        """
        left = []
        if real_limit:
            started = getattr(threading.current_thread(), "start_time", None)
            left.append(real_limit - (time.time() - started if started else sleep_allowance))
        soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
        if soft != resource.RLIM_INFINITY:
            used = resource.getrusage(resource.RUSAGE_SELF)
            left.append(soft - used.ru_utime - used.ru_stime)
        return max(min([cap, *(0.75 * share * seconds for seconds in left)]), 0.0)

    @api.model
    def _cron_time_budget(self, share):
        """The budget of a scheduled job, 240 s at most, within the cron limits
        (limit_time_real_cron; -1: limit_time_real). The pull, media and rescan jobs can
        run in one round: they take 1/2, 1/4 and 1/4 of it; a job stopped by its budget
        triggers itself again for the next round."""
        real_limit = config["limit_time_real_cron"]
        if real_limit is not None and real_limit < 0:
            real_limit = config["limit_time_real"]
        allowance = SLEEP_INTERVAL + 10 if config["workers"] else 0
        return self._time_budget(240, real_limit, share, allowance)

    @api.model
    def _cron_pull(self):
        """Pull every corp, sharing the time budget: a corp with a long backlog takes its
        share and the job runs again at once (``_pull`` triggers it), so no corp waits
        for another to catch up."""
        corps = self.search([])
        deadline = time.monotonic() + self._cron_time_budget(share=1 / 2)
        for index, corp in enumerate(corps):
            share = (deadline - time.monotonic()) / (len(corps) - index)
            # A failure is recorded in last_error, where the lag alarm finds it.
            with contextlib.suppress(SdkError):
                corp._pull(time_budget=max(share, 0))
            self.env["ir.cron"]._notify_progress(done=index + 1, remaining=len(corps) - index - 1)

    @api.model
    def _cron_check_lag(self):
        """Alert the WeCom administrators when a corp's pull has stalled."""
        now = fields.Datetime.now()
        admins = self.env.ref("wecom_archive.group_wecom_manager").users
        for corp in self.search([("lag_alarm_sent", "=", False), ("lag_alarm_hours", ">", 0)]):
            since = corp.last_pull_ok or corp.create_date
            if now - since < timedelta(hours=corp.lag_alarm_hours):
                continue
            body = self.env._(
                "No archive pull of %(corp)s has succeeded since %(since)s (UTC). WeCom keeps "
                "archived chats for about 5 days: fix the cause before they are lost. "
                "Last error: %(error)s",
                corp=corp.name,
                since=since,
                error=corp.last_error or self.env._("none"),
            )
            corp.message_post(
                body=body,
                partner_ids=admins.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
                message_type="notification",
            )
            corp.lag_alarm_sent = True
