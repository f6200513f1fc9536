import { registry } from "@web/core/registry";

// 超时未回复: a timeout in the list (how long the customer waited) → its case → the chat at
// the customer's message → back → assigned and closed with an outcome.
registry.category("web_tour.tours").add("wecom_timeout_tour", {
    url: "/odoo/action-wecom_archive.wecom_timeout_case_action",
    steps: () => [
        {
            content: "the timeouts, with how long each customer waited",
            trigger: ".o_data_row:contains('在吗？') td[name='waited_display']:contains('58')",
        },
        {
            content: "open the timeout",
            trigger: ".o_data_row:contains('在吗？') td[name='content']",
            run: "click",
        },
        {
            content: "the case: still waiting, for 58 working minutes",
            trigger: ".o_form_view .o_field_widget[name='waited_display']:contains('58')",
        },
        {
            content: "jump to the chat",
            trigger: ".o_form_view button[name='action_open_conversation']",
            run: "click",
        },
        {
            content: "the chat viewer, at the customer's message",
            trigger: ".o_wecom_flash .o_wecom_bubble:contains('在吗？')",
        },
        {
            content: "back to the case",
            trigger: ".o_wecom_viewer",
            run() {
                history.back();
            },
        },
        {
            content: "assign it",
            trigger: ".o_form_view .o_field_widget[name='user_id'] input",
            run: "edit Admin",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains('Admin')",
            run: "click",
        },
        {
            content: "the outcome",
            trigger: ".o_form_view .o_field_widget[name='outcome'] select",
            run: "selectByLabel 已警告员工",
        },
        {
            content: "close it as handled",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_done']:visible",
            run: "click",
        },
        {
            content: "closed",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value='done']",
        },
    ],
});
