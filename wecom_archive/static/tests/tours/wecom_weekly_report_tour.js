import { registry } from "@web/core/registry";

// 巡检周报: the list opens on last week (a filter the web client evaluates), and shows every
// week once the filter is removed.
registry.category("web_tour.tours").add("wecom_archive_weekly_report", {
    url: "/odoo/action-wecom_archive.wecom_weekly_report_action",
    steps: () => [
        {
            content: "opened on last week",
            trigger: ".o_searchview_facet:contains('上周'), .o_searchview_facet:contains('Last Week')",
        },
        {
            trigger: ".o_searchview_facet .o_facet_remove",
            run: "click",
        },
        {
            content: "a row per employee and week",
            trigger: ".o_data_row:contains('2026-W02'):contains('艾伦')",
        },
        {
            trigger: ".o_data_row:contains('2026-W03'):contains('艾伦')",
        },
        {
            content: "a row opens the week's violations per rule",
            trigger: ".o_data_row:contains('2026-W02'):contains('白雪') .o_data_cell:first",
            run: "click",
        },
        {
            trigger: ".o_pivot:contains('私加微信')",
        },
    ],
});
