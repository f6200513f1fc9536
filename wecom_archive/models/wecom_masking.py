"""Masking (脱敏): what a detector finds in a message — mobile numbers, bank cards, resident
IDs, e-mail addresses, WeChat IDs — is shown masked (138****5678) on every output path.

The choke points, one per kind of path, all calling lib.detectors (mask_text, mask_json,
mask_card):

* ORM reads (read, web_read, search_read: forms, lists, x2many lines such as a case's
  context messages): ``_read_format`` of every archived-data model masks the fields its model
  names in ``_masked_fields``, for every user (superuser code reads originals).
* Exports (``export_data`` / /web/export): ``_export_rows`` masks the same fields, at every
  depth of a path (message_id/text), unless the user has the right 查看敏感信息原文.
* The chat viewer: ``wecom.viewer._card`` masks every card it builds (thread, context, chat
  previews) and the violations' words; ``wecom.viewer.unmask`` gives one message's original
  card to a user with the right, and logs it (访问日志: 查看原文).
* Search across chats: the snippet is cut from the masked text (``_wecom_shown_text``), and
  to a user without the right 查看敏感信息原文 a message is a hit only when the keyword is
  in its masked text (a hit inside a masked span would tell what the mask hides).
* Searches of the ORM (a list's search box, filters, counts, groupings, a domain sent over
  RPC): ``_search`` matches a text condition on a masked field against the masked text
  for such a user, when the searched value holds a letter or digit (what a mask hides);
  searching 13812345678 finds nothing that shows 138****5678.
* Alerts and digests (Odoo notification, WeCom message) mask what they quote, for everyone:
  they are pushed, not asked for.

Who sees originals: nobody by default. The right (group_wecom_sensitive_view) lets its holder
unmask a message in the viewer, one at a time, each logged, and export originals (an export
is logged with its fields). Lists and forms stay masked for everyone: reading a customer's
phone number should be a deliberate, recorded act, not a side effect of scrolling a list.
"""

import re

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..lib import cards
from ..lib.detectors import mask_card, mask_json, mask_text

SENSITIVE_GROUP = "wecom_archive.group_wecom_sensitive_view"


# What a mask may hide (digits, the letters of an e-mail address or a WeChat ID): a searched
# value holding none of these cannot fall inside a masked span, and is searched as it is.
_MASKABLE = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]")
# The text conditions matched against the masked text: {operator: (positive operator,
# negated)}.
_TEXT_OPERATORS = {
    "like": ("like", False),
    "ilike": ("ilike", False),
    "not like": ("like", True),
    "not ilike": ("ilike", True),
    "=like": ("=like", False),
    "=ilike": ("=ilike", False),
    "=": ("=", False),
    "!=": ("=", True),
}
# masked rows read per query
_CHUNK = 5000


def _pattern(operator, value):
    """A compiled regex of a text condition, as PostgreSQL reads it: like / ilike match
    anywhere, =like / =ilike the whole text, with SQL's wildcards (% and _); = the value."""
    if operator == "=":
        return re.compile(re.escape(value))
    parts = ["." if c == "_" else ".*" if c == "%" else re.escape(c) for c in value]
    flags = re.DOTALL | (re.IGNORECASE if "ilike" in operator else 0)
    return re.compile("".join(parts), flags)


def masked_value(value):
    """A stored value masked: texts, and the texts inside a JSON document."""
    if isinstance(value, dict | list):
        return mask_json(value)
    return mask_text(value)


class WecomArchivedData(models.AbstractModel):
    _inherit = "wecom.archived.data"

    # The fields holding message content, masked on reads and exports (see the module doc).
    _masked_fields = ()

    @api.model
    def _wecom_may_unmask(self):
        """Whether the user may see originals: the right 查看敏感信息原文, or superuser code."""
        return self.env.su or self.env.user.has_group(SENSITIVE_GROUP)

    @api.model
    def _wecom_shown_text(self, text):
        """A message text as a screen shows it: masked, except to superuser code."""
        return text if self.env.su else mask_text(text)

    @api.model
    def _wecom_shown_lowered(self, text, shown, lowered):
        """The lowered text (``lowered``: ``text`` as PostgreSQL lowers it) with the spans
        masked in ``shown`` masked: what a search may find in what the screen shows."""
        if shown == text or not isinstance(text, str):
            return lowered
        if len(lowered) != len(text) or len(shown) != len(text):  # never: same lengths
            return shown.lower()
        return "".join(
            low if seen == original else seen
            for original, seen, low in zip(text, shown, lowered, strict=True)
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if self._masked_fields and domain:
            domain = self._wecom_masked_domain(domain)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _wecom_masked_domain(self, domain):
        """``domain`` with each text condition on a masked field whose value could fall
        inside a masked span replaced by the records the condition finds in the masked
        text (see the module doc), unless the user may see originals; the others as they
        are."""
        probing = [
            isinstance(leaf, list | tuple)
            and len(leaf) == 3
            and leaf[0] in self._masked_fields
            and leaf[1] in _TEXT_OPERATORS
            and isinstance(leaf[2], str)
            and bool(_MASKABLE.search(leaf[2]))
            and self._fields[leaf[0]].type in ("char", "text")
            and self._fields[leaf[0]].store
            for leaf in domain
        ]
        if not any(probing) or self._wecom_may_unmask():
            return domain
        result = []
        for leaf, probes in zip(domain, probing, strict=True):
            if probes:
                fname, operator, value = leaf
                positive, negated = _TEXT_OPERATORS[operator]
                ids = self._wecom_masked_matches(fname, positive, value)
                leaf = ("id", "not in" if negated else "in", ids)
            result.append(leaf)
        return result

    @api.model
    def _wecom_masked_matches(self, fname, operator, value):
        """The ids of the records the user reads whose field ``fname``, masked, meets the
        condition (``operator``: like, ilike, =like, =ilike or =; ``value``): among those
        whose original meets it (a masked character is a "*", which no original holds
        where the condition needs a letter or a digit)."""
        candidates = super()._search([(fname, operator, value)]).get_result_ids()
        pattern = _pattern(operator, value)
        whole = operator.startswith("=")  # =, =like, =ilike: the whole text
        matches = []
        for start in range(0, len(candidates), _CHUNK):
            chunk = list(candidates[start : start + _CHUNK])
            self.env.cr.execute(
                SQL(
                    "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                    SQL.identifier(fname),
                    SQL.identifier(self._table),
                    chunk,
                )
            )
            for id_, text in self.env.cr.fetchall():
                shown = mask_text(text)
                found = pattern.fullmatch(shown) if whole else pattern.search(shown)
                if found:
                    matches.append(id_)
        return matches

    def _wecom_masked_values(self, fname):
        """{record id: masked value} of the field for these records (record format)."""
        return {record.id: masked_value(record[fname]) for record in self}

    def _read_format(self, fnames, load="_classic_read"):
        result = super()._read_format(fnames, load=load)
        masked = [name for name in self._masked_fields if name in fnames]
        if not masked or self.env.su or not result:
            return result
        by_id = {vals["id"]: vals for vals in result}
        records = self.filtered(lambda record: record.id in by_id)
        for name in masked:
            field = self._fields[name]
            values = records._wecom_masked_values(name)
            for record in records:
                by_id[record.id][name] = field.convert_to_read(values[record.id], record, False)
        return result

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        lines = super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        columns = [
            (i, path[0])
            for i, path in enumerate(fields)
            if len(path) == 1 and path[0] in self._masked_fields
        ]
        if not columns or self._wecom_may_unmask():
            return lines
        for i, name in columns:
            field = self._fields[name]
            values = self._wecom_masked_values(name)
            # A record's value is on its main line; the lines of its x2many subrecords
            # leave this column empty: the non-empty cells are the records', in order.
            cells = (line for line in lines if line[i] not in ("", False, None))
            for record in self:
                if field.convert_to_export(record[name], record) in ("", False, None):
                    continue
                line = next(cells)
                line[i] = field.convert_to_export(values[record.id], record)
        return lines


class WecomMessage(models.Model):
    _inherit = "wecom.message"
    _masked_fields = ("text", "raw_text", "body", "summary")

    def _wecom_masked_values(self, fname):
        if fname != "summary":
            return super()._wecom_masked_values(fname)
        # cut to one line after masking: a number at the cut cannot show half of itself
        names = self._party_names()
        return {
            message.id: cards.snippet(mask_card(message._wecom_card(names)), limit=120)
            for message in self
        }

    def _wecom_card(self, names=None):
        return cards.card(
            self.body,
            msgid=self.msgid,
            state=self.state,
            error=self.error or "",
            recalled=self.recalled,
            names=names,
        )


class WecomViolation(models.Model):
    _inherit = "wecom.violation"
    _masked_fields = ("content", "words_hit", "words_display")


class WecomViewer(models.AbstractModel):
    _inherit = "wecom.viewer"

    def _card(self, row, media=None, names=None):
        """Every card the viewer shows, masked unless ``unmask`` asked for this message."""
        card = super()._card(row, media=media, names=names)
        if self.env.su or row.get("id") in self.env.context.get("wecom_unmasked_ids", ()):
            return card
        card = mask_card(card)
        card["can_unmask"] = card["masked"] and self.env["wecom.archived.data"]._wecom_may_unmask()
        return card

    def _violations(self, message_ids):
        """The words hit and the text they were found in, masked as the card is (same
        lengths: the hits' spans still fall on the words)."""
        violations = super()._violations(message_ids)
        unmasked = set(self.env.context.get("wecom_unmasked_ids", ()))
        if self.env.su:
            return violations
        for message_id, hits in violations.items():
            if message_id in unmasked:
                continue
            violations[message_id] = [
                (dict(hit, words=mask_text(hit["words"])), mask_text(content), offsets)
                for hit, content, offsets in hits
            ]
        return violations

    @api.model
    def unmask(self, message_id, member_id=None):
        """查看原文: the message with its original card, for a user with the right 查看敏感
        信息原文; written to the access log. The row is the thread's (``_messages``)."""
        if not self.env["wecom.archived.data"]._wecom_may_unmask():
            raise AccessError(
                self.env._(
                    "Viewing the originals of masked data needs the right %(right)s.",
                    right=self.env.ref(SENSITIVE_GROUP).sudo().name,
                )
            )
        message = self._readable("wecom.message", message_id)
        member = self._member(member_id)
        self.env.flush_all()
        [row] = self.env.execute_query_dict(
            self._select(self.env["wecom.message"]._search([("id", "=", message.id)]))
        )
        chat = self.env["wecom.conversation"]
        if row["conversation_id"]:
            chat = self._readable("wecom.conversation", row["conversation_id"])
        self.env["wecom.access.log"]._log("unmask", message)
        [shown] = self.with_context(wecom_unmasked_ids=[message.id])._messages([row], chat, member)
        return shown
