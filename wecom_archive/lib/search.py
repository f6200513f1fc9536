"""Keyword search over message texts (plain Python, no Odoo): the query side of the
character-bigram index.

Every message text is indexed (models/wecom_message_search.py) as the set of its lowered
character bigrams, every pair of consecutive characters, punctuation and spaces included,
in a ``tsvector`` with a GIN index. A keyword of n >= 2 characters occurs in a text only if
all of its n - 1 bigrams are in the text's set, so ``index @@ 'b1' & 'b2' & …`` finds a
superset of the texts holding it, through the index, even for two Chinese characters (where
pg_trgm's trigrams cannot help); the exact substring test (``ILIKE``) then keeps exactly
the texts that hold it. Texts longer than ``LONG_TEXT`` characters are indexed as the one
lexeme ``LONG_MARK`` instead (a tsvector holds 1 MB at most) and always go to the exact test.

Case: the text and the keyword are both lowered by PostgreSQL's ``lower()`` (what ``ILIKE``
does), so the index agrees with ``ILIKE`` whatever the database's collation folds.
"""

MIN_CHARS = 2
LONG_TEXT = 20000
# Never a bigram: a lexeme of more than two characters.
LONG_MARK = "!long!"
SNIPPET_CONTEXT = 30
ELLIPSIS = "…"


class SearchQueryError(ValueError):
    """The keyword cannot be searched (too short)."""


def clean_query(query):
    """The keyword as searched: without surrounding whitespace and NUL characters (a
    PostgreSQL text never holds one). Raises SearchQueryError under MIN_CHARS characters."""
    keyword = (query or "").replace("\x00", "").strip()
    if len(keyword) < MIN_CHARS:
        raise SearchQueryError(f"A search needs at least {MIN_CHARS} characters.")
    return keyword


def bigrams(lowered):
    """The distinct character bigrams of an already lowered text, in order of appearance."""
    return list(dict.fromkeys(lowered[i : i + 2] for i in range(len(lowered) - 1)))


def quote_lexeme(lexeme):
    """A lexeme as a tsquery literal takes it, whatever it holds: quoted, ``'`` doubled
    and ``\\`` escaped; operators (& | ! <-> : * ( )) inside quotes are plain characters."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(lowered_keyword):
    """The tsquery text (for ``%s::tsquery``, never ``to_tsquery``, which would parse and
    normalise it) that every text holding the lowered keyword matches."""
    if len(lowered_keyword) < MIN_CHARS:
        raise SearchQueryError(f"A search needs at least {MIN_CHARS} characters.")
    terms = " & ".join(quote_lexeme(b) for b in bigrams(lowered_keyword))
    return f"({terms}) | {quote_lexeme(LONG_MARK)}"


def like_pattern(keyword):
    """``%keyword%`` for LIKE/ILIKE with the default escape character (backslash), the
    keyword's own ``\\``, ``%`` and ``_`` matching themselves."""
    escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def highlights(lowered, lowered_keyword):
    """[start, end] of every non-overlapping occurrence of the keyword in a lowered text."""
    found, start, size = [], 0, len(lowered_keyword)
    if not size:
        return found
    while True:
        at = lowered.find(lowered_keyword, start)
        if at < 0:
            return found
        found.append([at, at + size])
        start = at + size


def snippet(text, lowered, lowered_keyword, context=SNIPPET_CONTEXT):
    """(snippet, highlights): plain text around the first occurrence of the keyword,
    ``context`` characters each side (an ellipsis where cut), and the offsets of every
    occurrence inside it. ``lowered``: the text as PostgreSQL lowers it (same length)."""
    if len(lowered) != len(text):  # never with PostgreSQL's lower(); be safe anyway
        lowered = text.lower() if len(text.lower()) == len(text) else text
    first = lowered.find(lowered_keyword)
    if first < 0:
        first = 0
    start = max(0, first - context)
    end = min(len(text), first + len(lowered_keyword) + context)
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    offsets = [
        [a + len(head), b + len(head)] for a, b in highlights(lowered[start:end], lowered_keyword)
    ]
    return f"{head}{text[start:end]}{tail}", offsets
