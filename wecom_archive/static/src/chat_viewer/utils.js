const { DateTime } = luxon;

/** A server time ("YYYY-MM-DD HH:MM:SS[.ffffff]", UTC) in the user's timezone. */
export function parseTime(value) {
    if (!value) {
        return null;
    }
    const time = DateTime.fromSQL(value, { zone: "utc" });
    return time.isValid ? time.setZone("default") : null;
}

export function formatTime(value, format = "yyyy-MM-dd HH:mm:ss") {
    const time = parseTime(value);
    return time ? time.toFormat(format) : "";
}

/** A short time for lists: the hour today, the day this year, the date before. */
export function formatShortTime(value) {
    const time = parseTime(value);
    if (!time) {
        return "";
    }
    const now = DateTime.local();
    if (time.hasSame(now, "day")) {
        return time.toFormat("HH:mm");
    }
    if (time.hasSame(now, "year")) {
        return time.toFormat("MM-dd");
    }
    return time.toFormat("yyyy-MM-dd");
}

/** A card field's time: WeCom gives epoch seconds or milliseconds. */
export function formatEpoch(value) {
    const ms = value > 0 && value < 100000000000 ? value * 1000 : value;
    return DateTime.fromMillis(ms).toFormat("yyyy-MM-dd HH:mm");
}

export function dayKey(value) {
    const time = parseTime(value);
    return time ? time.toFormat("yyyy-MM-dd") : "";
}

export function dayLabel(value) {
    const time = parseTime(value);
    return time ? time.toFormat("yyyy-MM-dd cccc") : "";
}

const AVATAR_COLORS = ["#2f80ed", "#27ae60", "#eb5757", "#f2994a", "#9b51e0", "#00a0a0", "#e0527d"];

/** A person's avatar: the first character of their name on a colour of their own. */
export function avatar(name) {
    const text = String(name || "?");
    let hash = 0;
    for (const char of text) {
        hash = (hash * 31 + char.codePointAt(0)) % 9973;
    }
    return { initial: Array.from(text)[0], color: AVATAR_COLORS[hash % AVATAR_COLORS.length] };
}

const URL_RE = /https?:\/\/[^\s<>"'，。！？、（）【】「」]+/gi;

/** An http(s) URL as it may be opened, or "" (javascript:, data: … never). */
export function safeUrl(url) {
    try {
        const parsed = new URL(url);
        return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : "";
    } catch {
        return "";
    }
}

/**
 * ``text`` cut into parts for the template, which shows every part as text (never markup):
 * {text, mark} where a hit (``spans``: [start, end) in code points of the server's string)
 * or a found word is marked, {text, url} for an http(s) link.
 */
export function textParts(text, spans = [], words = []) {
    text = String(text || "");
    const chars = Array.from(text);
    const marked = new Array(chars.length).fill(false);
    for (const [start, end] of spans) {
        for (let i = Math.max(0, start); i < Math.min(chars.length, end); i++) {
            marked[i] = true;
        }
    }
    if (!spans.length) {
        const lower = chars.map((c) => c.toLowerCase());
        for (const word of words) {
            const needle = Array.from(String(word).toLowerCase());
            if (!needle.length) {
                continue;
            }
            for (let i = 0; i + needle.length <= lower.length; i++) {
                if (needle.every((c, j) => lower[i + j] === c)) {
                    needle.forEach((_, j) => (marked[i + j] = true));
                }
            }
        }
    }
    const linked = new Array(chars.length).fill(null);
    const joined = chars.join("");
    // map UTF-16 offsets of the regexp to code point offsets
    const index = [];
    chars.forEach((c, i) => {
        for (let k = 0; k < c.length; k++) {
            index.push(i);
        }
    });
    for (const match of joined.matchAll(URL_RE)) {
        const url = safeUrl(match[0]);
        if (!url) {
            continue;
        }
        const start = index[match.index];
        const end = index[match.index + match[0].length - 1] + 1;
        for (let i = start; i < end; i++) {
            linked[i] = url;
        }
    }
    const parts = [];
    for (let i = 0; i < chars.length; i++) {
        const last = parts.at(-1);
        if (last && last.mark === marked[i] && last.url === linked[i]) {
            last.text += chars[i];
        } else {
            parts.push({ text: chars[i], mark: marked[i], url: linked[i] });
        }
    }
    return parts;
}
