import { registry } from "@web/core/registry";

// 存档健康: the row of the missing key version → its action → the corp's private keys.
registry.category("web_tour.tours").add("wecom_archive_health", {
    steps: () => [
        {
            content: "the health of the corp: its figures",
            trigger: ".o_wecom_health .o_wecom_health_card[data-card='messages'] .o_wecom_health_value:contains('2')",
        },
        {
            content: "the daily chart is drawn",
            trigger: ".o_wecom_health_daily canvas",
        },
        {
            content: "the messages waiting for the private key of version 2, a problem",
            trigger: ".o_wecom_health_problem.o_wecom_health_danger[data-problem='no_key_2'] .o_wecom_health_count:contains('2')",
        },
        {
            content: "add the private key of version 2",
            trigger: ".o_wecom_health_problem[data-problem='no_key_2'] .o_wecom_health_action[data-action='keys']",
            run: "click",
        },
        {
            content: "the corp's form, on its private keys",
            trigger: ".o_form_view .o_notebook .nav-link.active[name='keys']",
        },
        {
            content: "the keys already there",
            trigger: ".o_form_view .o_field_widget[name='key_ids'] .o_data_row:contains('1')",
        },
        {
            content: "add a key",
            trigger: ".o_field_widget[name='key_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "its version is the missing one",
            trigger: ".o_field_widget[name='key_ids'] .o_selected_row [name='version'] input:value(2)",
        },
        {
            content: "no key to paste here: discard",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='key_ids']:not(:has(.o_selected_row))",
        },
    ],
});
