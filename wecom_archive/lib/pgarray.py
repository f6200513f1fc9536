"""A list as one PostgreSQL array literal ('{1,NULL,"a b"}'), to be cast by the statement
(``%s::int4[]``, ``%s::text[]``, ``%s::jsonb[]``…).

psycopg2 sends a Python list as ``ARRAY[1, 2, …]``: one SQL constant per element, quoted in
Python, then parsed and planned one by one by PostgreSQL. The pipeline sends tens of
thousands per batch (a message's 32 columns, the reply waits', the statistics'): as one
literal each, the client's time falls by half or more and the server's too.
"""

from datetime import date, datetime


def _element(value):
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return f'"{value.isoformat(sep=" ") if isinstance(value, datetime) else value}"'
    return str(value)  # int, float, Decimal


def literal(values):
    """The array literal of ``values``: None, str, bool, int, float, Decimal, date or
    datetime (naive: as the timestamp columns hold UTC)."""
    return "{" + ",".join(map(_element, values)) + "}"
