import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatInteger } from "@web/views/fields/formatters";

const { DateTime } = luxon;

const RANGES = [
    ["today", _t("Today")],
    ["7d", _t("Last 7 Days")],
    ["30d", _t("Last 30 Days")],
    ["month", _t("This Month")],
    ["custom", _t("Custom Range")],
];

// The rankings: the figure each lists (its drill-down too) and its title.
const RANKINGS = [
    ["sent", _t("Most Messages Sent")],
    ["first_reply", _t("Slowest First Reply")],
    ["violations", _t("Most Violation Hits")],
    ["customers_lost", _t("Most Customers Lost")],
];

/** [first, last] local days of a preset range, as luxon dates. */
function presetDays(range) {
    const today = DateTime.local().startOf("day");
    switch (range) {
        case "today":
            return [today, today];
        case "7d":
            return [today.minus({ days: 6 }), today];
        case "month":
            return [today.startOf("month"), today];
        default:
            return [today.minus({ days: 29 }), today];
    }
}

/**
 * 数据报表: KPI cards with their change against the previous period, the daily trend
 * (Chart.js) and four rankings, for a range of days and an optional department and
 * employee. Every number opens the list of what it counts (wecom.dashboard drilldown),
 * whose rows open the chat viewer. The selection is in the URL (range, from, to,
 * department, member): back and shared links work.
 */
export class WecomDashboard extends Component {
    static template = "wecom_archive.Dashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.ranges = RANGES;
        this.rankings = RANKINGS;
        this.canvasRef = useRef("trend");
        this.chart = null;
        // from the URL (context.params) or from the breadcrumb (params)
        const action = this.props.action;
        const params = { ...(action.context?.params || {}), ...(action.params || {}) };
        const range = RANGES.some(([key]) => key === params.range) ? params.range : "7d";
        const [first, last] = presetDays(range);
        this.state = useState({
            range,
            dateFrom: (range === "custom" && params.from) || first.toISODate(),
            dateTo: (range === "custom" && params.to) || last.toISODate(),
            departmentId: Number(params.department) || false,
            memberId: Number(params.member) || false,
            data: null,
            error: "",
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

    // -- URL and data ------------------------------------------------------------------------
    /** The selection into the URL and into the action's params (the breadcrumb). */
    pushUrl() {
        const custom = this.state.range === "custom";
        const selection = {
            range: this.state.range,
            from: custom ? this.state.dateFrom : undefined,
            to: custom ? this.state.dateTo : undefined,
            department: this.state.departmentId || undefined,
            member: this.state.memberId || undefined,
        };
        this.props.action.params = { ...this.props.action.params, ...selection };
        this.props.updateActionState?.(selection);
    }

    get filters() {
        return {
            department_ids: this.state.departmentId ? [this.state.departmentId] : [],
            member_ids: this.state.memberId ? [this.state.memberId] : [],
        };
    }

    async load() {
        try {
            this.state.data = await this.orm.call(
                "wecom.dashboard",
                "dashboard",
                [this.state.dateFrom, this.state.dateTo],
                this.filters
            );
            this.state.error = "";
        } catch (error) {
            this.state.error = error.data?.message || error.message;
        }
    }

    async reload() {
        this.pushUrl();
        await this.load();
    }

    // -- the selection ------------------------------------------------------------------------
    async selectRange(range) {
        this.state.range = range;
        if (range !== "custom") {
            const [first, last] = presetDays(range);
            this.state.dateFrom = first.toISODate();
            this.state.dateTo = last.toISODate();
        }
        await this.reload();
    }

    async onDateChange(which, ev) {
        if (!ev.target.value) {
            return;
        }
        this.state[which] = ev.target.value;
        if (this.state.dateFrom <= this.state.dateTo) {
            await this.reload();
        }
    }

    async onDepartmentChange(ev) {
        this.state.departmentId = Number(ev.target.value) || false;
        this.state.memberId = false;
        await this.reload();
    }

    async onMemberChange(ev) {
        this.state.memberId = Number(ev.target.value) || false;
        await this.reload();
    }

    // -- drill-downs --------------------------------------------------------------------------
    async open(kpi, memberId = false) {
        const action = await this.orm.call(
            "wecom.dashboard",
            "drilldown",
            [kpi, this.state.dateFrom, this.state.dateTo],
            { ...this.filters, member_id: memberId }
        );
        await this.actionService.doAction(action);
    }

    // -- the trend ----------------------------------------------------------------------------
    renderChart() {
        this.chart?.destroy();
        this.chart = null;
        if (!this.state.data || !this.canvasRef.el) {
            return;
        }
        const trend = this.state.data.trend;
        this.chart = new Chart(this.canvasRef.el, {
            type: "line",
            data: {
                labels: trend.map((point) => this.shortDay(point.day)),
                datasets: [
                    {
                        label: _t("Messages per Day"),
                        data: trend.map((point) => point.messages),
                        borderColor: "#3b82f6",
                        backgroundColor: "rgba(59, 130, 246, 0.12)",
                        fill: true,
                        cubicInterpolationMode: "monotone",
                        yAxisID: "messages",
                    },
                    {
                        label: _t("Violation Hits per Day"),
                        data: trend.map((point) => point.violations),
                        borderColor: "#dc2626",
                        backgroundColor: "#dc2626",
                        cubicInterpolationMode: "monotone",
                        yAxisID: "violations",
                    },
                ],
            },
            options: {
                animation: false,
                maintainAspectRatio: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    messages: { position: "left", beginAtZero: true, ticks: { precision: 0 } },
                    violations: {
                        position: "right",
                        beginAtZero: true,
                        ticks: { precision: 0 },
                        grid: { drawOnChartArea: false },
                    },
                },
            },
        });
    }

    // -- helpers for the template -------------------------------------------------------------
    format(key, value) {
        if (value === null || value === undefined) {
            return "—";
        }
        if (key === "first_reply") {
            return _t("%s min", formatFloat(value, { digits: [16, 1] }));
        }
        if (key === "reply_rate") {
            return `${formatFloat(value, { digits: [16, 1] })}%`;
        }
        return formatInteger(value);
    }

    /** The change against the previous period: {text, className}. */
    change(kpi) {
        if (kpi.change === null || kpi.change === undefined) {
            return { text: "—", className: "text-muted" };
        }
        const size = formatFloat(Math.abs(kpi.change), { digits: [16, 1] });
        const text = kpi.key === "reply_rate" ? _t("%s pts", size) : `${size}%`;
        if (kpi.change === 0) {
            return { text, className: "text-muted" };
        }
        const good = kpi.change > 0 === (kpi.better === "up");
        return {
            text: `${kpi.change > 0 ? "▲" : "▼"} ${text}`,
            className: good ? "text-success" : "text-danger",
        };
    }

    day(value) {
        return formatDate(deserializeDate(value));
    }

    shortDay(value) {
        return deserializeDate(value).toFormat("MM-dd");
    }
}

registry.category("actions").add("wecom_archive.dashboard", WecomDashboard);
