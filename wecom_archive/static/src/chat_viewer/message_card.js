import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { formatEpoch, safeUrl, textParts } from "./utils";

// Kinds shown as a titled card with their fields (meeting, todo, vote, …).
const MEDIA_KINDS = ["image", "emotion", "voice", "video", "file"];

/**
 * One message's card (lib/cards.py) as the thread shows it: every kind rendered as what it
 * is, chat records and mixed messages with their children. Everything in a card is untrusted
 * text: the template prints it with t-esc only, links open http(s) URLs in a new tab.
 */
export class MessageCard extends Component {
    static template = "wecom_archive.MessageCard";
    static components = {};
    static props = {
        card: Object,
        highlight: { type: Object, optional: true }, // {spans: [[s, e]], words: []}
        onImage: { type: Function, optional: true },
        depth: { type: Number, optional: true },
    };
    static defaultProps = { depth: 0 };

    setup() {
        this.state = useState({ open: this.props.depth > 0, raw: false });
    }

    get card() {
        return this.props.card;
    }

    get media() {
        return this.card.media || null;
    }

    get isMedia() {
        return MEDIA_KINDS.includes(this.card.kind) || this.card.kind === "meeting_voice_call";
    }

    get mediaReady() {
        return Boolean(this.media && this.media.url && this.media.state === "done");
    }

    get mediaNote() {
        const media = this.media;
        if (!media || !media.state || media.state === "done") {
            return "";
        }
        if (media.state === "failed") {
            return _t("The file could not be downloaded: %s", media.error || "");
        }
        if (media.state === "pending") {
            return _t("The file is being downloaded.");
        }
        if (media.state === "purged") {
            return _t("The file was deleted by the retention policy.");
        }
        return _t("No file with this message.");
    }

    get audioUrl() {
        return this.media.play_url || this.media.url;
    }

    get linkUrl() {
        return this.card.link ? safeUrl(this.card.link.url) : "";
    }

    /** Card fields with times formatted in the user's timezone. */
    get fields() {
        return (this.card.fields || [])
            .filter(([, value]) => value !== "" && value !== null && value !== undefined)
            .map(([label, value]) => [label, typeof value === "number" ? formatEpoch(value) : value]);
    }

    get textParts() {
        const highlight = this.props.highlight;
        if (!highlight) {
            return textParts(this.card.text);
        }
        return textParts(this.card.text, highlight.spans || [], highlight.words || []);
    }

    titleParts(text) {
        const highlight = this.props.highlight;
        return textParts(text, [], highlight ? highlight.words || [] : []);
    }

    get childHighlight() {
        const highlight = this.props.highlight;
        return highlight ? { words: highlight.words || [] } : undefined;
    }

    get rawJson() {
        try {
            return JSON.stringify(JSON.parse(this.card.raw), null, 2);
        } catch {
            return this.card.raw || "";
        }
    }

    openImage() {
        if (this.props.onImage && this.mediaReady) {
            this.props.onImage(this.media);
        }
    }

    /** The media's length, as the browser read it (tours wait for it). */
    onMediaLoaded(ev) {
        if (Number.isFinite(ev.target.duration)) {
            ev.target.dataset.duration = ev.target.duration.toFixed(1);
        }
    }

    toggle() {
        this.state.open = !this.state.open;
    }
}
MessageCard.components = { MessageCard };
