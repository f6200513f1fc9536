import { registry } from "@web/core/registry";

// 导出证据包: a search's results exported, back to the viewer; a chat opened → the export
// dialog → the pack, built → its ZIP downloaded (fetched as the browser would) → verified.
registry.category("web_tour.tours").add("wecom_archive_evidence", {
    url: "/odoo/chat-records",
    steps: () => [
        {
            content: "search across all chats",
            trigger: ".o_wecom_search_input",
            run: "edit 证据消息 1",
        },
        {
            trigger: ".o_wecom_search_button",
            run: "click",
        },
        {
            trigger: ".o_wecom_result",
        },
        {
            content: "export the search's results",
            trigger: ".o_wecom_evidence_export_search",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_statusbar_status [data-value='done'].o_arrow_button_current",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=subject]:contains('证据消息 1')",
        },
        {
            content: "back to the chat viewer",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "pick an employee",
            trigger: ".o_wecom_employee:contains('王明乐')",
            run: "click",
        },
        {
            content: "their chat with the customer",
            trigger: ".o_wecom_chat:contains('朱甜甜')",
            run: "click",
        },
        {
            trigger: ".o_wecom_bubble:contains('证据消息 9')",
        },
        {
            content: "export the chat as an evidence pack",
            trigger: ".o_wecom_evidence_export",
            run: "click",
        },
        {
            content: "the dialog names the chat",
            trigger: ".modal .o_field_widget[name=subject]:contains('朱甜甜')",
        },
        {
            content: "the reason of the export",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit 合规调查",
        },
        {
            trigger: ".modal .o_wecom_evidence_build",
            run: "click",
        },
        {
            content: "the pack is built: ready, with its SHA-256",
            trigger:
                ".o_form_view .o_statusbar_status [data-value='done'].o_arrow_button_current",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=zip_sha256]:not(:empty)",
        },
        {
            content: "download the ZIP",
            trigger: ".o_wecom_evidence_download",
            run: async () => {
                const id = window.location.pathname.split("/").pop();
                const response = await fetch(`/wecom_archive/evidence/${id}/download`);
                const bytes = new Uint8Array(await response.arrayBuffer());
                if (!response.ok || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
                    throw new Error(`the pack did not download (${response.status})`);
                }
                document.body.classList.add("o_wecom_evidence_downloaded");
            },
        },
        {
            trigger: "body.o_wecom_evidence_downloaded",
        },
        {
            content: "verify it",
            trigger: ".o_wecom_evidence_verify",
            run: "click",
        },
        {
            content: "verified intact",
            trigger: ".o_form_view .o_wecom_evidence_intact",
        },
    ],
});
