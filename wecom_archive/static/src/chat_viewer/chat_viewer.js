import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useDebounced } from "@web/core/utils/timing";
import { ChatThread } from "./chat_thread";
import { PartnerPanel } from "./partner_panel";
import { avatar, formatShortTime, formatTime, textParts } from "./utils";

const TABS = [
    ["external", _t("External Customers")],
    ["internal", _t("Internal Chats")],
    ["group", _t("Group Chats")],
];

// The message types one may search for, by their Chinese names (lib/cards.py TYPE_LABELS).
const SEARCH_TYPES = [
    ["text", "文本"],
    ["file", "文件"],
    ["link", "链接"],
    ["markdown", "markdown"],
    ["location", "位置"],
    ["card", "名片"],
    ["chatrecord", "会话记录"],
    ["mixed", "混合消息"],
    ["redpacket", "红包"],
    ["external_redpacket", "互通红包"],
    ["weapp", "小程序"],
    ["news", "图文"],
    ["meeting", "会议邀请"],
    ["todo", "待办"],
    ["vote", "投票"],
    ["collect", "填表"],
    ["calendar", "日程"],
    ["docmsg", "在线文档"],
];

/**
 * 查看聊天记录: (1) the archived employees, (2) the chats of the selected one in three tabs,
 * (3) the thread, (4) the partner's panel, (5) highlight mode; with a search across all
 * chats. Locked to one employee it is 员工只读模式, headed by their statistics. The
 * selection is in the URL (member, tab, chat, msg, q): back and shared links work.
 */
export class ChatViewer extends Component {
    static template = "wecom_archive.ChatViewer";
    static components = { ChatThread, PartnerPanel };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.actionService = useService("action");
        // from the URL (context.params) or from a button's action / the breadcrumb (params)
        const action = this.props.action;
        const params = { ...(action.context?.params || {}), ...(action.params || {}) };
        this.tabs = TABS;
        this.searchTypes = SEARCH_TYPES;
        this.locked = Boolean(params.locked && params.member);
        this.state = useState({
            employees: [],
            employeesNext: null,
            employeeTotal: 0,
            employeeSearch: "",
            memberId: params.member || null,
            member: null,
            stats: null,
            tab: params.tab || "external",
            chats: [],
            chatsNext: null,
            counts: {},
            chatSearch: "",
            chatId: params.chat || null,
            chat: null,
            targetId: params.msg || null,
            panel: null,
            showPanel: true,
            highlight: Boolean(params.hl),
            violationsOnly: false,
            image: null,
            // search across all chats
            searchOpen: Boolean(params.q),
            query: params.q || "",
            filterMember: false,
            filterPartner: false,
            dateFrom: "",
            dateTo: "",
            msgtype: "",
            recalledOnly: false,
            results: null,
            resultsNext: null,
            searching: false,
            searchError: "",
        });
        this.searchEmployeesDebounced = useDebounced(() => this.loadEmployees(), 300);
        this.searchChatsDebounced = useDebounced(() => this.loadChats(), 300);
        onWillStart(() => this.start(params));
        this.pushUrl();
    }

    async start(params) {
        const jobs = [];
        if (!this.locked) {
            jobs.push(this.loadEmployees());
        }
        if (this.state.memberId) {
            jobs.push(this.loadMember());
        }
        if (this.state.chatId) {
            jobs.push(this.loadChat());
        }
        if (params.q) {
            jobs.push(this.runSearch());
        }
        await Promise.all(jobs);
    }

    // -- URL --------------------------------------------------------------------------------
    /** The selection into the URL (a history entry each) and into the action's params, so
     * that back, a shared link and the breadcrumb all reopen it. */
    pushUrl() {
        const selection = {
            member: this.state.memberId || undefined,
            tab: this.state.memberId ? this.state.tab : undefined,
            chat: this.state.chatId || undefined,
            msg: this.state.targetId || undefined,
            q: this.state.searchOpen && this.state.query ? this.state.query : undefined,
            locked: this.locked ? 1 : undefined,
        };
        this.props.action.params = { ...this.props.action.params, ...selection };
        this.props.updateActionState?.(selection);
    }

    // -- (1) employees ----------------------------------------------------------------------
    async loadEmployees(more = false) {
        const result = await this.orm.call("wecom.viewer", "employees", [], {
            search: this.state.employeeSearch,
            cursor: more ? this.state.employeesNext : null,
        });
        this.state.employees = more ? [...this.state.employees, ...result.employees] : result.employees;
        this.state.employeesNext = result.next_cursor;
        this.state.employeeTotal = result.total;
    }

    onEmployeeSearch(ev) {
        this.state.employeeSearch = ev.target.value;
        this.searchEmployeesDebounced();
    }

    async selectEmployee(employee) {
        this.state.memberId = employee.id;
        this.state.member = employee;
        this.state.chatId = null;
        this.state.chat = null;
        this.state.panel = null;
        this.state.targetId = null;
        this.state.chatSearch = "";
        this.state.searchOpen = false;
        this.pushUrl();
        await this.loadMember();
    }

    async loadMember() {
        const jobs = [this.loadChats()];
        if (this.locked) {
            jobs.push(
                this.orm
                    .call("wecom.viewer", "employee_stats", [this.state.memberId])
                    .then((stats) => (this.state.stats = stats))
            );
        }
        if (!this.state.member || this.state.member.id !== this.state.memberId) {
            jobs.push(
                this.orm
                    .read("wecom.member", [this.state.memberId], ["display_name", "userid"])
                    .then(([member]) => (this.state.member = { ...member, name: member.display_name }))
            );
        }
        await Promise.all(jobs);
    }

    // -- (2) chats ----------------------------------------------------------------------------
    async loadChats(more = false) {
        if (!this.state.memberId) {
            return;
        }
        const result = await this.orm.call(
            "wecom.viewer",
            "chats",
            [this.state.memberId, this.state.tab],
            { search: this.state.chatSearch, cursor: more ? this.state.chatsNext : null }
        );
        this.state.chats = more ? [...this.state.chats, ...result.chats] : result.chats;
        this.state.chatsNext = result.next_cursor;
        this.state.counts = result.counts;
    }

    async selectTab(tab) {
        this.state.tab = tab;
        this.state.chatSearch = "";
        this.pushUrl();
        await this.loadChats();
    }

    onChatSearch(ev) {
        this.state.chatSearch = ev.target.value;
        this.searchChatsDebounced();
    }

    onChatsScroll(ev) {
        const el = ev.target;
        const near = el.scrollHeight - el.scrollTop - el.clientHeight < 100;
        if (near && this.state.chatsNext && !this.loadingChats) {
            this.loadingChats = true; // one page at a time
            this.loadChats(true).finally(() => (this.loadingChats = false));
        }
    }

    async selectChat(chat, targetId = null) {
        this.state.chatId = chat.id;
        this.state.chat = chat;
        this.state.targetId = targetId;
        this.state.searchOpen = targetId ? this.state.searchOpen : false;
        this.state.violationsOnly = false;
        this.pushUrl();
        await this.loadPanel();
    }

    /** A chat opened from the URL or a search hit: its name, then its panel. */
    async loadChat() {
        const [chat] = await this.orm.read(
            "wecom.conversation",
            [this.state.chatId],
            ["display_name", "kind", "member_ids"]
        );
        this.state.chat = { id: chat.id, kind: chat.kind, name: chat.display_name };
        const jobs = [this.loadPanel()];
        if (!this.state.memberId && chat.member_ids.length && !this.locked) {
            // opened from a hit: beside it, the chats of (one of) its employees
            this.state.memberId = chat.member_ids[0];
            this.state.tab = chat.kind;
            jobs.push(this.loadMember());
        }
        await Promise.all(jobs);
    }

    async loadPanel() {
        this.state.panel = await this.orm.call("wecom.viewer", "panel", [this.state.chatId], {
            member_id: this.state.memberId || false,
        });
    }

    // -- (3) the thread, (5) highlight mode --------------------------------------------------
    get threadKey() {
        return `${this.state.chatId}-${this.state.targetId || ""}-${this.state.violationsOnly}`;
    }

    toggleHighlight() {
        this.state.highlight = !this.state.highlight;
        if (!this.state.highlight) {
            this.state.violationsOnly = false;
        }
    }

    toggleViolationsOnly() {
        this.state.violationsOnly = !this.state.violationsOnly;
        this.state.targetId = null;
        if (this.state.violationsOnly) {
            this.state.highlight = true;
        }
    }

    /** A message clicked in the violations-only list: the whole chat, at that message. */
    openMessage(message) {
        this.state.violationsOnly = false;
        this.state.targetId = message.id;
        this.pushUrl();
    }

    openImage(media) {
        this.state.image = media;
    }

    closeImage() {
        this.state.image = null;
    }

    /** 导出证据包: the open chat (a date range asked in a dialog), as an evidence pack. */
    exportEvidence() {
        this.actionService.doAction("wecom_archive.wecom_evidence_pack_action_request", {
            additionalContext: {
                default_scope: "chat",
                default_conversation_id: this.state.chatId,
                default_member_id: this.state.memberId || false,
            },
        });
    }

    // -- search across all chats -------------------------------------------------------------
    openSearch() {
        this.state.searchOpen = true;
    }

    closeSearch() {
        this.state.searchOpen = false;
        this.pushUrl();
    }

    onSearchKeydown(ev) {
        if (ev.key === "Enter") {
            this.runSearch();
        }
    }

    get partnerFilter() {
        const panel = this.state.panel;
        if (!panel) {
            return {};
        }
        if (panel.kind === "external") {
            return { contact_id: panel.contact.id };
        }
        if (panel.kind === "group" && panel.group.id) {
            return { group_id: panel.group.id };
        }
        return {};
    }

    async runSearch(more = false) {
        const query = this.state.query.trim();
        if (!query) {
            return;
        }
        this.state.searchOpen = true;
        this.state.searching = true;
        this.state.searchError = "";
        if (!more) {
            this.pushUrl();
        }
        try {
            const result = await this.orm.call("wecom.message", "search_messages", [query], {
                ...this.searchFilters,
                cursor: more ? this.state.resultsNext : null,
            });
            this.state.results = more ? [...this.state.results, ...result.results] : result.results;
            this.state.resultsNext = result.next_cursor;
        } catch (error) {
            this.state.searchError = error.data?.message || error.message;
            this.state.results = [];
        } finally {
            this.state.searching = false;
        }
    }

    /** The search's filters, as search_messages and the search's evidence pack take them. */
    get searchFilters() {
        return {
            member_id: this.state.filterMember ? this.state.memberId : false,
            ...(this.state.filterPartner ? this.partnerFilter : {}),
            date_from: this.state.dateFrom || false,
            date_to: this.state.dateTo || false,
            msgtype: this.state.msgtype || false,
            recalled_only: this.state.recalledOnly,
        };
    }

    /** 导出证据包 of the search's results (its keyword and filters, read on the server). */
    async exportSearchEvidence() {
        const action = await this.orm.call(
            "wecom.evidence.pack",
            "request_search",
            [this.state.query.trim()],
            { filters: this.searchFilters }
        );
        this.actionService.doAction(action);
    }

    snippetParts(result) {
        return textParts(result.snippet, result.highlights || []);
    }

    /** A search hit opened in its chat, scrolled to and flashed. */
    async openResult(result) {
        this.state.searchOpen = false;
        this.state.chatId = result.conversation_id;
        this.state.targetId = result.id;
        this.state.violationsOnly = false;
        this.pushUrl();
        await this.loadChat();
    }

    // -- helpers for the template -------------------------------------------------------------
    avatar(name) {
        return avatar(name);
    }

    shortTime(value) {
        return formatShortTime(value);
    }

    time(value) {
        return formatTime(value);
    }

    get title() {
        if (this.locked && this.state.member) {
            return _t("Read-only mode: %s", this.state.member.name);
        }
        return _t("Chat Records");
    }
}

registry.category("actions").add("wecom_archive.chat_viewer", ChatViewer);
