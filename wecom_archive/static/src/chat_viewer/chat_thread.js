import { Component, onMounted, onPatched, onWillStart, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { MessageCard } from "./message_card";
import { avatar, dayKey, dayLabel, formatTime } from "./utils";

const PAGE = 40;
const EDGE = 200; // px from an end of the thread where the next page is loaded

/**
 * The thread of one chat: bubbles (the employee on the right), day separators, keyset
 * pages on (msgtime, seq) loaded both ways as the user scrolls, opened at a message
 * (scrolled to and flashed) or at the newest one; hits marked in highlight mode.
 */
export class ChatThread extends Component {
    static template = "wecom_archive.ChatThread";
    static components = { MessageCard };
    static props = {
        conversationId: Number,
        memberId: { type: [Number, { value: false }, { value: null }], optional: true },
        targetId: { type: [Number, { value: false }, { value: null }], optional: true },
        highlight: Boolean,
        violationsOnly: Boolean,
        onImage: Function,
        onOpenMessage: Function,
    };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.scrollRef = useRef("scroll");
        this.state = useState({
            messages: [],
            hasBefore: false,
            hasAfter: false,
            loading: false,
            flashId: null,
            currentViolation: null,
        });
        this.afterPatch = null;
        onWillStart(() => this.loadInitial(this.props.targetId));
        onMounted(() => this.scrollInitial());
        onPatched(() => {
            const run = this.afterPatch;
            this.afterPatch = null;
            if (run) {
                run();
            }
        });
    }

    get member() {
        return this.props.memberId || false;
    }

    async loadInitial(targetId) {
        if (targetId) {
            const result = await this.orm.call("wecom.viewer", "context", [targetId], {
                member_id: this.member,
            });
            this.setPage(result.messages, result.has_before, result.has_after);
            this.state.flashId = targetId;
        } else {
            const result = await this.orm.call("wecom.viewer", "thread", [this.props.conversationId], {
                member_id: this.member,
                violations_only: this.props.violationsOnly,
                limit: PAGE,
            });
            this.setPage(result.messages, result.has_before, false);
            this.state.flashId = null;
        }
    }

    setPage(messages, hasBefore, hasAfter) {
        this.state.messages = messages;
        this.state.hasBefore = hasBefore;
        this.state.hasAfter = hasAfter;
    }

    scrollInitial() {
        const el = this.scrollRef.el;
        if (!el) {
            return;
        }
        const target = this.state.flashId && el.querySelector(`[data-message-id="${this.state.flashId}"]`);
        if (target) {
            target.scrollIntoView({ block: "center" });
        } else {
            el.scrollTop = el.scrollHeight;
        }
    }

    /** Opens the thread at ``messageId`` (loaded around it), scrolled to it and flashed. */
    async jumpTo(messageId) {
        await this.loadInitial(messageId);
        this.afterPatch = () => this.scrollInitial();
    }

    cursorOf(message) {
        return [message.msgtime, message.seq];
    }

    async loadOlder() {
        if (this.state.loading || !this.state.hasBefore || !this.state.messages.length) {
            return;
        }
        this.state.loading = true;
        try {
            const result = await this.orm.call("wecom.viewer", "thread", [this.props.conversationId], {
                member_id: this.member,
                cursor: this.cursorOf(this.state.messages[0]),
                direction: "before",
                limit: PAGE,
                violations_only: this.props.violationsOnly,
            });
            const el = this.scrollRef.el;
            const height = el.scrollHeight;
            const top = el.scrollTop;
            // the user stays where they were: the page grows above them
            this.afterPatch = () => {
                el.scrollTop = el.scrollHeight - height + top;
            };
            this.state.messages = [...result.messages, ...this.state.messages];
            this.state.hasBefore = result.has_before;
        } finally {
            this.state.loading = false;
        }
    }

    async loadNewer() {
        if (this.state.loading || !this.state.hasAfter || !this.state.messages.length) {
            return;
        }
        this.state.loading = true;
        try {
            const result = await this.orm.call("wecom.viewer", "thread", [this.props.conversationId], {
                member_id: this.member,
                cursor: this.cursorOf(this.state.messages.at(-1)),
                direction: "after",
                limit: PAGE,
                violations_only: this.props.violationsOnly,
            });
            this.state.messages = [...this.state.messages, ...result.messages];
            this.state.hasAfter = result.has_after;
        } finally {
            this.state.loading = false;
        }
    }

    onScroll() {
        const el = this.scrollRef.el;
        if (el.scrollTop < EDGE) {
            this.loadOlder();
        } else if (el.scrollHeight - el.scrollTop - el.clientHeight < EDGE) {
            this.loadNewer();
        }
    }

    /** The next (or previous) message with a violation, loaded or on the server. */
    async jumpViolation(step) {
        const messages = this.state.messages;
        const index = messages.findIndex((m) => m.id === this.state.currentViolation);
        const from = index >= 0 ? index : step > 0 ? -1 : messages.length;
        for (let i = from + step; i >= 0 && i < messages.length; i += step) {
            if (messages[i].violations.length) {
                return this.showViolation(messages[i].id);
            }
        }
        const edge = step > 0 ? messages.at(-1) : messages[0];
        const more = step > 0 ? this.state.hasAfter : this.state.hasBefore;
        if (edge && more) {
            const result = await this.orm.call("wecom.viewer", "thread", [this.props.conversationId], {
                member_id: this.member,
                cursor: this.cursorOf(edge),
                direction: step > 0 ? "after" : "before",
                limit: 1,
                violations_only: true,
            });
            if (result.messages.length) {
                await this.jumpTo(result.messages[0].id);
                this.state.currentViolation = result.messages[0].id;
                return;
            }
        }
        this.notification.add(
            step > 0 ? _t("No later violation in this chat.") : _t("No earlier violation in this chat."),
            { type: "info" }
        );
    }

    showViolation(messageId) {
        this.state.currentViolation = messageId;
        this.state.flashId = messageId;
        const el = this.scrollRef.el.querySelector(`[data-message-id="${messageId}"]`);
        if (el) {
            el.scrollIntoView({ block: "center", behavior: "smooth" });
        }
    }

    /** Rows for the template: day separators between messages of different days. */
    get rows() {
        const rows = [];
        let day = null;
        for (const message of this.state.messages) {
            const key = dayKey(message.msgtime);
            if (key !== day) {
                rows.push({ key: `day-${key}-${message.id}`, day: dayLabel(message.msgtime) });
                day = key;
            }
            rows.push({ key: `m-${message.id}`, message });
        }
        return rows;
    }

    avatar(message) {
        return avatar(message.sender_name);
    }

    time(message) {
        return formatTime(message.msgtime);
    }

    highlightOf(message) {
        if (!this.props.highlight || !message.violations.length) {
            return undefined;
        }
        const spans = [];
        const words = [];
        for (const violation of message.violations) {
            spans.push(...(violation.spans || []));
            words.push(...String(violation.words || "").split("$").filter(Boolean));
        }
        return message.card.kind === "text" ? { spans, words } : { spans: [], words };
    }

    violationTitle(message) {
        return message.violations
            .map((v) => `${v.rule}: ${v.words}`)
            .join("\n");
    }

    /** 查看原文: the message with its masked data shown (the server logs it). */
    async unmask(message) {
        const shown = await this.orm.call("wecom.viewer", "unmask", [message.id], {
            member_id: this.member,
        });
        const index = this.state.messages.findIndex((m) => m.id === message.id);
        if (index >= 0) {
            this.state.messages[index] = shown;
        }
    }

    openMessage(message) {
        if (this.props.violationsOnly) {
            this.props.onOpenMessage(message);
        }
    }
}
