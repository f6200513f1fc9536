import { registry } from "@web/core/registry";

// 数据报表: the last 7 days → the last 30 days → 消息总数 → its chats → one in the viewer.
registry.category("web_tour.tours").add("wecom_archive_dashboard", {
    url: "/odoo/archive-reports",
    steps: () => [
        {
            content: "the KPIs of the last 7 days, in Chinese",
            trigger: ".o_wecom_kpi[data-kpi='messages']:contains('消息总数') .o_wecom_kpi_value:contains('3')",
        },
        {
            trigger: ".o_wecom_range.active[data-range='7d']:contains('近7天')",
        },
        {
            content: "the trend is drawn",
            trigger: ".o_wecom_trend canvas",
        },
        {
            content: "the rankings name the employees",
            trigger: ".o_wecom_ranking[data-ranking='sent'] .o_wecom_ranking_name:contains('王明乐')",
        },
        {
            content: "change the range: the last 30 days",
            trigger: ".o_wecom_range[data-range='30d']",
            run: "click",
        },
        {
            trigger: ".o_wecom_range.active[data-range='30d']",
        },
        {
            content: "one more message in the last 30 days",
            trigger: ".o_wecom_kpi[data-kpi='messages'] .o_wecom_kpi_value:contains('4')",
        },
        {
            content: "click 消息总数",
            trigger: ".o_wecom_kpi[data-kpi='messages']",
            run: "click",
        },
        {
            content: "its chats' days, named after both parties",
            trigger: ".o_list_view .o_data_row:contains('王明乐 ↔ 朱甜甜')",
        },
        {
            trigger: ".o_breadcrumb:contains('消息总数')",
        },
        {
            content: "open one in the chat viewer",
            trigger: ".o_data_row:contains('王明乐 ↔ 朱甜甜') button[name='action_open_viewer']",
            run: "click",
        },
        {
            content: "the chat's thread",
            trigger: ".o_wecom_viewer .o_wecom_thread .o_wecom_bubble:contains('看板消息')",
        },
    ],
});
