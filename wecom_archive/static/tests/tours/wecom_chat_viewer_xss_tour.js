import { registry } from "@web/core/registry";

function noPayloadRan() {
    if (window.__wecom_xss) {
        throw new Error(`a payload from a message ran (${window.__wecom_xss})`);
    }
    if (document.querySelector(".o_wecom_viewer img[src='x'], .o_wecom_viewer script, .o_wecom_thread b, .o_wecom_panel b, .o_wecom_chats b")) {
        throw new Error("markup from a message was rendered as markup");
    }
}

// Everything in a message is untrusted: texts, file names, link titles, customer and group
// names carrying markup are shown as text, and none of it runs.
registry.category("web_tour.tours").add("wecom_archive_chat_viewer_xss", {
    url: "/odoo/chat-records",
    steps: () => [
        {
            trigger: ".o_wecom_employee:contains('王明乐')",
            run: "click",
        },
        {
            content: "a customer whose name is markup, listed as text",
            trigger: ".o_wecom_chat:contains('<img src=x onerror'):contains('客户')",
            run: "click",
        },
        {
            content: "a text with markup, shown as text",
            trigger: ".o_wecom_bubble:contains('<script>window.__wecom_xss=3</script>')",
        },
        {
            content: "a file name with markup",
            trigger: ".o_wecom_card_file:contains('onerror=window.__wecom_xss=1>.pdf')",
        },
        {
            content: "a link title with markup; its javascript: URL is not a link",
            trigger: ".o_wecom_card_link:contains('标题'):not(:has(a))",
        },
        {
            content: "the customer's company (markup) in the panel, as text",
            trigger: ".o_wecom_panel:contains('<script>window.__wecom_xss=2</script>')",
            run: noPayloadRan,
        },
        {
            content: "a group whose name is markup",
            trigger: ".o_wecom_tab_group",
            run: "click",
        },
        {
            trigger: ".o_wecom_chat:contains('onerror'):contains('群')",
            run: "click",
        },
        {
            trigger: ".o_wecom_thread_title:contains('<img src=x')",
        },
        {
            trigger: ".o_wecom_bubble:contains('群里的<img')",
            run: noPayloadRan,
        },
    ],
});
