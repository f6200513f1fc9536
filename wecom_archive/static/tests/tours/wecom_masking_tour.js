import { registry } from "@web/core/registry";

// 查看原文: a message's phone number is masked in the thread; an admin with the right shows
// it with the message's own action (the server logs it), the other messages stay masked.
registry.category("web_tour.tours").add("wecom_archive_masking", {
    url: "/odoo/chat-records",
    steps: () => [
        {
            trigger: ".o_wecom_employee:contains('林晓')",
            run: "click",
        },
        {
            trigger: ".o_wecom_chat:contains('周女士')",
            run: "click",
        },
        {
            content: "the number is masked, in both messages",
            trigger: ".o_wecom_message:contains('我的电话 138****5678'):has(.o_wecom_unmask)",
        },
        {
            trigger: ".o_wecom_message:contains('再确认 139****0000')",
        },
        {
            content: "a message without personal data has no action",
            trigger: ".o_wecom_message:contains('您好'):not(:has(.o_wecom_unmask))",
        },
        {
            content: "查看原文",
            trigger: ".o_wecom_message:contains('我的电话 138****5678') .o_wecom_unmask",
            run: "click",
        },
        {
            content: "the original, without the action; the other message still masked",
            trigger: ".o_wecom_message:contains('我的电话 13812345678'):not(:has(.o_wecom_unmask))",
        },
        {
            trigger: ".o_wecom_message:contains('再确认 139****0000'):has(.o_wecom_unmask)",
        },
    ],
});
