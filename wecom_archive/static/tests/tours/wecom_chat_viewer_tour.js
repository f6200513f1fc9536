import { registry } from "@web/core/registry";

function scrollToTop() {
    const thread = document.querySelector(".o_wecom_thread_scroll");
    thread.scrollTop = 0;
    thread.dispatchEvent(new Event("scroll"));
}

// 查看聊天记录: employee → customer chat → older messages → panel → highlight and a
// violation → search → a hit in context → a voice played → 员工只读模式 from the list.
registry.category("web_tour.tours").add("wecom_archive_chat_viewer", {
    url: "/odoo/chat-records",
    steps: () => [
        {
            content: "pick an employee",
            trigger: ".o_wecom_employee:contains('王明乐'):contains('归档中')",
            run: "click",
        },
        {
            content: "their customer chats, named",
            trigger: ".o_wecom_chat:contains('朱甜甜'):contains('独秀馒头')",
            run: "click",
        },
        {
            content: "the newest messages, the employee on the right",
            trigger: ".o_wecom_mine .o_wecom_bubble:contains('收到，谢谢')",
        },
        {
            content: "a link opens in a new tab, without the opener",
            trigger:
                ".o_wecom_bubble a[href='https://work.weixin.qq.com/help'][target='_blank'][rel='noopener noreferrer']",
        },
        {
            content: "scroll up: older messages load",
            trigger: ".o_wecom_thread_scroll .o_wecom_more_before",
            run: scrollToTop,
        },
        {
            trigger: ".o_wecom_bubble:contains('第20条'), .o_wecom_bubble:contains('可以私下转账吗')",
            run: scrollToTop,
        },
        {
            content: "up to the first message of the chat",
            trigger: ".o_wecom_thread_start",
        },
        {
            trigger: ".o_wecom_bubble:contains('最早的一条消息')",
        },
        {
            content: "the customer's consent as a marker",
            trigger: ".o_wecom_system_line:contains('同意')",
        },
        {
            content: "hide the customer panel",
            trigger: ".o_wecom_panel_toggle",
            run: "click",
        },
        {
            trigger: ".o_wecom_viewer:not(:has(.o_wecom_panel))",
        },
        {
            content: "open the customer panel",
            trigger: ".o_wecom_panel_toggle",
            run: "click",
        },
        {
            content: "the customer's details",
            trigger: ".o_wecom_panel:contains('朱甜甜'):contains('独秀馒头'):contains('微信')",
        },
        {
            content: "highlight mode",
            trigger: ".o_wecom_highlight",
            run: "click",
        },
        {
            content: "jump to the violation",
            trigger: ".o_wecom_next_violation",
            run: "click",
        },
        {
            content: "the words that hit a rule are marked, the message flashed",
            trigger: ".o_wecom_flash mark.o_wecom_hit:contains('私下转账')",
        },
        {
            content: "search all chats",
            trigger: ".o_wecom_search_input",
            run: "edit 私下",
        },
        {
            trigger: ".o_wecom_search_button",
            run: "click",
        },
        {
            content: "the hit, with its chat named and the keyword marked",
            trigger: ".o_wecom_result:contains('王明乐'):contains('朱甜甜') mark:contains('私下')",
            run: "click",
        },
        {
            content: "opened in context",
            trigger: ".o_wecom_flash .o_wecom_bubble:contains('转账吗')",
        },
        {
            content: "back to the newest messages",
            trigger: ".o_wecom_chat:contains('朱甜甜')",
            run: "click",
        },
        {
            content: "the image inline, opened in the viewer",
            trigger: "img.o_wecom_image",
            run: "click",
        },
        {
            trigger: ".o_wecom_lightbox img",
            run: "click",
        },
        {
            content: "a voice message plays in the browser: its audio reports a duration",
            trigger: ".o_wecom_voice audio[data-duration]",
            run() {
                const duration = parseFloat(this.anchor.dataset.duration);
                if (!(duration > 0)) {
                    throw new Error(`the voice message has no duration (${duration})`);
                }
            },
        },
        {
            content: "the employee list",
            trigger: ".o_main_navbar [data-menu-xmlid='wecom_archive.menu_wecom_member']",
            run: "click",
        },
        {
            content: "查看会话存档",
            trigger: ".o_data_row:contains('王明乐') button[name='action_view_archive']",
            run: "click",
        },
        {
            content: "员工只读模式: their statistics, their chats only",
            trigger:
                ".o_wecom_viewer:not(:has(.o_wecom_employees)) .o_wecom_stats .o_wecom_stat_private:contains('2')",
        },
        {
            trigger: ".o_wecom_title:contains('王明乐')",
        },
    ],
});
