import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatInteger } from "@web/views/fields/formatters";

const SEVERITY_LABELS = {
    danger: _t("Problem"),
    warning: _t("Warning"),
    info: _t("For Information"),
};

/**
 * 存档健康: why the archive is empty or incomplete, and what fixes it. Cards with the
 * archive scope, the messages per day of the last 30 days (Chart.js), the pull's lag; one
 * row per problem (severity colour, the reason in words, the buttons that fix it or open
 * its rows); the customers who refused archiving per member. One server call
 * (wecom.health health) returns the whole screen; each button is wecom.health
 * health_action, after which the screen is read again. The corp is in the URL.
 */
export class WecomArchiveHealth extends Component {
    static template = "wecom_archive.ArchiveHealth";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.canvasRef = useRef("daily");
        this.chart = null;
        this.severityLabels = SEVERITY_LABELS;
        const action = this.props.action;
        const params = { ...(action.context?.params || {}), ...(action.params || {}) };
        this.state = useState({
            corpId: Number(params.corp) || false,
            data: null,
            error: "",
            busy: false,
        });
        onWillStart(async () => {
            await Promise.all([loadBundle("web.chartjs_lib"), this.load()]);
        });
        useEffect(
            () => this.renderChart(),
            () => [this.state.data]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    get corp() {
        return this.state.data?.corp;
    }

    async load() {
        try {
            this.state.data = await this.orm.call("wecom.health", "health", [
                this.state.corpId || false,
            ]);
            this.state.error = "";
        } catch (error) {
            this.state.error = error.data?.message || error.message;
        }
    }

    async onCorpChange(ev) {
        this.state.corpId = Number(ev.target.value) || false;
        const selection = { corp: this.state.corpId || undefined };
        this.props.action.params = { ...this.props.action.params, ...selection };
        this.props.updateActionState?.(selection);
        await this.load();
    }

    /** A problem's button: the fix or the list, then the figures again. */
    async run(action) {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            const result = await this.orm.call("wecom.health", "health_action", [
                this.corp.id,
                action.name,
                action.arg ?? false,
            ]);
            if (result) {
                await this.actionService.doAction(result);
            }
            if (!result || result.type !== "ir.actions.act_window") {
                await this.load();
            }
        } finally {
            this.state.busy = false;
        }
    }

    openRefused(memberId) {
        return this.run({ name: "refused", arg: memberId });
    }

    // -- the daily chart ----------------------------------------------------------------------
    renderChart() {
        this.chart?.destroy();
        this.chart = null;
        if (!this.corp || !this.canvasRef.el) {
            return;
        }
        const daily = this.corp.daily;
        this.chart = new Chart(this.canvasRef.el, {
            type: "bar",
            data: {
                labels: daily.map((point) => deserializeDate(point.day).toFormat("MM-dd")),
                datasets: [
                    {
                        label: _t("Messages Archived"),
                        data: daily.map((point) => point.messages),
                        backgroundColor: "rgba(59, 130, 246, 0.7)",
                    },
                ],
            },
            options: {
                animation: false,
                maintainAspectRatio: false,
                plugins: { legend: { display: false } },
                scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
            },
        });
    }

    // -- helpers for the template -------------------------------------------------------------
    number(value) {
        return value === null || value === undefined || value === false
            ? "—"
            : formatInteger(value);
    }

    moment(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "—";
    }

    /** A duration in seconds in words: 3 min, 5 h, 2 days 4 h. */
    duration(seconds) {
        if (seconds === null || seconds === undefined) {
            return "—";
        }
        const minutes = Math.floor(seconds / 60);
        if (minutes < 60) {
            return _t("%s min", minutes);
        }
        const hours = Math.floor(minutes / 60);
        if (hours < 48) {
            return _t("%s h", hours);
        }
        return _t("%(days)s days %(hours)s h", { days: Math.floor(hours / 24), hours: hours % 24 });
    }

    get checkedAt() {
        return _t("Checked at %s", this.moment(this.state.data.checked_at));
    }

    get seatsText() {
        return _t("/ %s seats", this.number(this.corp.scope.seats));
    }

    get scopeDetail() {
        const scope = this.corp.scope;
        const formerly = _t("Formerly archived: %s", this.number(scope.formerly));
        if (!scope.wecom_scope) {
            return formerly;
        }
        return [_t("WeCom lists %s", this.number(scope.wecom_scope)), formerly].join(" · ");
    }

    get newestText() {
        const lag = this.corp.pull.lag;
        return lag === null || lag === undefined
            ? _t("No message archived yet")
            : _t("Newest message: %s ago", this.duration(lag));
    }

    get messagesDetail() {
        const messages = this.corp.messages;
        return [
            _t("Key missing: %s", this.number(messages.no_key)),
            _t("Decryption failed: %s", this.number(messages.decrypt_error)),
            _t("Malformed: %s", this.number(messages.parse_error)),
        ].join(" · ");
    }

    get mediaDetail() {
        return [
            _t("Unverified: %s", this.number(this.corp.media.unverified)),
            _t("Refused archiving: %s", this.number(this.corp.refused.total)),
        ].join(" · ");
    }

    get dailyDetail() {
        return _t("Total %(total)s · days without messages: %(empty)s", {
            total: this.number(this.dailyTotal),
            empty: this.number(this.emptyDays),
        });
    }

    /** The most frequent reasons of what failed, each with what it explains. */
    get reasons() {
        const corp = this.corp;
        const rows = [];
        if (corp.pull.last_error) {
            rows.push({ label: _t("Last pull error:"), reason: corp.pull.last_error, danger: true });
        }
        const groups = [
            [corp.messages.reasons.decrypt_error, (n) => _t("Decryption failed × %s:", n)],
            [corp.messages.reasons.parse_error, (n) => _t("Malformed × %s:", n)],
            [corp.media.reasons, (n) => _t("Media failed × %s:", n)],
        ];
        for (const [reasons, label] of groups) {
            for (const reason of reasons) {
                rows.push({ label: label(this.number(reason.count)), reason: reason.reason });
            }
        }
        return rows;
    }

    get dailyTotal() {
        return this.corp.daily.reduce((sum, point) => sum + point.messages, 0);
    }

    get emptyDays() {
        return this.corp.daily.filter((point) => !point.messages).length;
    }

    get failedTotal() {
        const messages = this.corp.messages;
        return messages.no_key + messages.decrypt_error + messages.parse_error;
    }

    get mediaTotal() {
        const media = this.corp.media;
        return media.failed + media.too_large;
    }

    lagClass(seconds, hours) {
        if (seconds === null || seconds === undefined) {
            return "text-danger";
        }
        return seconds >= hours * 3600 ? "text-danger" : "text-success";
    }
}

registry.category("actions").add("wecom_archive.archive_health", WecomArchiveHealth);
