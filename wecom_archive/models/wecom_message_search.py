"""Keyword search across all chats (搜索): a character-bigram index of every message text
and the screen's one query, run as the user (record rules apply). See lib/search.py."""

from datetime import date, datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import search as lib

# The lowered text's character bigrams as a tsvector (no positions): two passes of one
# regexp cut the text into the pairs at even and at odd offsets, split on U+FFFF. A text
# too long for a tsvector, or holding U+FFFF itself, is indexed as LONG_MARK instead, and
# every search checks it exactly. Not STRICT, so PostgreSQL inlines it.
_BIGRAMS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION wecom_search_bigrams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN length(t) > {lib.LONG_TEXT} OR strpos(t, U&'\\FFFF') > 0
              THEN array_to_tsvector(ARRAY['{lib.LONG_MARK}'])
         WHEN length(t) < 2 THEN ''::tsvector
         ELSE array_to_tsvector(
             trim_array(string_to_array(
                 regexp_replace(lower(t), '(..)', '\\1' || U&'\\FFFF', 'g'), U&'\\FFFF'), 1)
             || trim_array(string_to_array(
                 regexp_replace(substr(lower(t), 2), '(..)', '\\1' || U&'\\FFFF', 'g'),
                 U&'\\FFFF'), 1))
         END
$fn$
"""


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    def init(self):
        super().init()
        cr = self.env.cr
        cr.execute(_BIGRAMS_FUNCTION)
        cr.execute(
            """SELECT 1 FROM information_schema.columns
                WHERE table_name = 'wecom_message' AND column_name = 'search_bigrams'"""
        )
        if not cr.fetchone():
            # STORED generated column: filled by PostgreSQL on every insert, _store_batch
            # unchanged, and existing rows filled by this ALTER (one table rewrite).
            cr.execute(
                """ALTER TABLE wecom_message ADD COLUMN search_bigrams tsvector
                   GENERATED ALWAYS AS (wecom_search_bigrams(text)) STORED"""
            )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS wecom_message_search_bigrams_idx
                   ON wecom_message USING gin (search_bigrams)"""
        )
        # The text's trigram index of earlier versions: the bigrams serve its searches
        # (_condition_to_sql) and it cost every insert a second GIN entry per text.
        cr.execute("DROP INDEX IF EXISTS wecom_message__text_index")

    def _condition_to_sql(self, alias, fname, operator, value, query):
        """A text searched with ``ilike`` (the message list's search box, any domain) goes
        through the bigram index first, then the ILIKE checks the hits exactly: the same
        rows, without reading the whole table. Left as it is: fewer than two characters,
        or Odoo's wildcards (% _) in the value."""
        condition = super()._condition_to_sql(alias, fname, operator, value, query)
        if fname != "text" or operator != "ilike" or not isinstance(value, str):
            return condition
        if any(wildcard in value for wildcard in "%_\\"):
            return condition
        try:
            keyword = lib.clean_query(value)
        except lib.SearchQueryError:
            return condition
        # lowered as the index lowers it (the database's collation decides)
        self.env.cr.execute("SELECT lower(%s)", [keyword])
        column = SQL.identifier(alias, "search_bigrams")
        bigrams = SQL("%s @@ %s::tsquery", column, lib.tsquery(self.env.cr.fetchone()[0]))
        return SQL("(%s AND %s)", bigrams, condition)

    # -- the screen's query ------------------------------------------------------------------
    @api.model
    def search_messages(
        self,
        query,
        *,
        member_id=None,
        contact_id=None,
        group_id=None,
        date_from=None,
        date_to=None,
        msgtype=None,
        recalled_only=False,
        cursor=None,
        limit=50,
    ):
        """Messages whose text holds ``query`` (a substring, Latin letters in any case),
        newest first, that the user may read, a page of ``limit`` after ``cursor`` (the
        previous page's ``next_cursor``: the last row's (msgtime, id)).

        Returns {"results": [{"id", "msgtime", "sender", "sender_name", "conversation_id",
        "conversation_name", "msgtype", "snippet", "highlights"}], "next_cursor"}: the
        snippet is plain text around the first hit, highlights the [start, end) offsets of
        the keyword in it."""
        try:
            keyword = lib.clean_query(query)
        except lib.SearchQueryError:
            raise UserError(
                self.env._("Type at least %(count)s characters to search.", count=lib.MIN_CHARS)
            ) from None
        limit = max(1, min(int(limit or 50), 500))
        cr = self.env.cr
        # Lowered as the index and ILIKE lower it (the database's collation decides).
        cr.execute("SELECT lower(%s)", [keyword])
        lowered = cr.fetchone()[0]

        domain = [("text", "!=", False)]
        if member_id:
            domain.append(("member_ids", "in", [int(member_id)]))
        if contact_id:
            domain.append(("conversation_id.contact_id", "=", int(contact_id)))
        if group_id:
            domain.append(("conversation_id.group_id", "=", int(group_id)))
        if date_from:
            domain.append(("msgtime", ">=", _start(date_from)))
        if date_to:
            domain.append(("msgtime", "<", _end(date_to)))
        if msgtype:
            domain.append(("msgtype", "=", msgtype))
        if recalled_only:
            domain.append(("recalled", "=", True))
        self.flush_model()
        # To a user without the right 查看敏感信息原文, a message whose keyword is only
        # inside masked spans is no hit (its snippet would still tell where the number is):
        # the rows are checked on their masked text, further rows read until the page is
        # full, and the cursor is the page's last row.
        masked_only = not self._wecom_may_unmask()
        rows, after, batch = [], cursor, limit + 1
        while True:
            fetched = self._search_page(domain, keyword, lowered, after, batch, masked_only)
            for row in fetched:
                if not masked_only or lowered in self._wecom_shown_lowered(
                    row[2], self._wecom_shown_text(row[2]), row[3]
                ):
                    rows.append(row)
            if len(rows) > limit or len(fetched) < batch:
                break
            last_time, last_id = fetched[-1][1], fetched[-1][0]
            after = [last_time, last_id]
            batch = min(batch * 2, 2000)
        more = len(rows) > limit
        rows = rows[:limit]
        if not cursor:  # one access-log row per search, not per page
            self.env["wecom.access.log"]._log(
                "search", self.browse(), detail=f"{self._description}: {keyword}"
            )
        results = self._search_results([row[0] for row in rows], lowered, masked_only)
        next_cursor = None
        if more and rows:
            last_time, last_id = rows[-1][1], rows[-1][0]
            next_cursor = [last_time.isoformat(sep=" ") if last_time else None, last_id]
        return {"results": results, "next_cursor": next_cursor}

    def _search_page(self, domain, keyword, lowered, cursor, limit, with_text=False):
        """[(id, msgtime[, text, lowered text])] of the first ``limit`` messages of
        ``domain`` holding the keyword after ``cursor`` ((msgtime, id)), newest first, as
        the user may read them (access rights and record rules)."""
        found = self._search(domain)
        table = found.table
        msgtime, id_ = SQL.identifier(table, "msgtime"), SQL.identifier(table, "id")
        text = SQL.identifier(table, "text")
        found.add_where(
            SQL(
                "%s @@ %s::tsquery",
                SQL.identifier(table, "search_bigrams"),
                lib.tsquery(lowered),
            )
        )
        found.add_where(SQL("%s ILIKE %s", text, lib.like_pattern(keyword)))
        if cursor:
            after_time, after_id = cursor
            if after_time:  # rows with no time came first (DESC puts NULLs first)
                found.add_where(
                    SQL("(%s, %s) < (%s, %s)", msgtime, id_, _datetime(after_time), after_id)
                )
            else:
                found.add_where(SQL("(%s IS NOT NULL OR %s < %s)", msgtime, id_, after_id))
        found.order = SQL("%s DESC, %s DESC", msgtime, id_)
        found.limit = limit
        columns = [id_, msgtime]
        if with_text:
            columns += [text, SQL("lower(%s)", text)]
        return self.env.execute_query(found.select(*columns))

    def _search_results(self, ids, lowered, masked_only=False):
        """The rows of the found messages (already checked against the user's rules), in
        the order of ``ids``, names joined in SQL. ``masked_only``: the keyword is
        highlighted only where the masked text shows it."""
        if not ids:
            return []
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT m.id, m.msgtime, m.sender, m.conversation_id, m.msgtype, m.text,
                          lower(m.text) AS lowered,
                          COALESCE(sm.name, sc.name, m.sender) AS sender_name
                     FROM wecom_message m
                     LEFT JOIN wecom_member sm
                            ON sm.corp_id = m.corp_id AND sm.userid = m.sender
                     LEFT JOIN wecom_contact sc
                            ON sc.corp_id = m.corp_id AND sc.external_userid = m.sender
                    WHERE m.id = ANY(%s)""",
                ids,
            )
        )
        by_id = {row["id"]: row for row in rows}
        chats = self.env["wecom.conversation"].browse(
            {row["conversation_id"] for row in rows if row["conversation_id"]}
        )
        names = {chat.id: chat.display_name for chat in chats}
        results = []
        for id_ in ids:
            row = by_id[id_]
            # cut from the masked text (same length: the window and highlights hold)
            shown = self._wecom_shown_text(row["text"])
            found_in = row["lowered"]
            if masked_only:
                found_in = self._wecom_shown_lowered(row["text"], shown, found_in)
            text, offsets = lib.snippet(shown, found_in, lowered)
            results.append(
                {
                    "id": id_,
                    "msgtime": fields.Datetime.to_string(row["msgtime"]),
                    "sender": row["sender"],
                    "sender_name": row["sender_name"],
                    "conversation_id": row["conversation_id"],
                    "conversation_name": names.get(row["conversation_id"], ""),
                    "msgtype": row["msgtype"],
                    "snippet": text,
                    "highlights": offsets,
                }
            )
        return results


def _datetime(value):
    """A cursor's time, to the microsecond (msgtime keeps WeCom's milliseconds)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _start(value):
    """The first instant of a date, or a datetime as given (UTC, like msgtime)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    value = str(value)
    return fields.Datetime.to_datetime(value if len(value) > 10 else f"{value} 00:00:00")


def _end(value):
    """The instant after a date (the whole day included), or after a datetime."""
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time.min)
    value = str(value)
    if len(value) > 10:
        return fields.Datetime.to_datetime(value) + timedelta(seconds=1)
    return datetime.combine(fields.Date.to_date(value) + timedelta(days=1), time.min)
