"""A list as one PostgreSQL array literal ('{1,NULL,"a b"}'), to be cast by the statement
(``%s::int4[]``, ``%s::text[]``, ``%s::jsonb[]``…).

psycopg2 sends a Python list as ``ARRAY[1, 2, …]``: one SQL constant per element, quoted in
Python, then parsed and planned one by one by PostgreSQL. The pipeline sends tens of
thousands per batch (a message's 32 columns, the reply waits', the statistics'): as one
literal each, the client's time falls by half or more and the server's too.
"""

import json
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
    if isinstance(value, list | dict):  # for a json or jsonb array
        return _element(json.dumps(value, ensure_ascii=False))
    return str(value)  # int, float, Decimal


def literal(values):
    """The array literal of ``values``: None, str, bool, int, float, Decimal, date,
    datetime (naive: as the timestamp columns hold UTC), or lists and dicts (as JSON)."""
    return "{" + ",".join(map(_element, values)) + "}"


def numbers(values):
    """literal() of values written as they print, without quotes — ints, floats, dates —
    and None; faster (the statistics send thousands of counters per batch)."""
    values = list(values)
    if None in values:
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    return "{" + ",".join(map(str, values)) + "}"


# Faster, for a column of one type (the pipeline's message columns: 640,000 values per
# 20,000 messages): no type test per value.


def texts(values):
    """literal() of strings or None."""
    return (
        "{"
        + ",".join(
            "NULL" if value is None else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        )
        + "}"
    )


def times(values):
    """literal() of naive datetimes or None."""
    return "{" + ",".join("NULL" if value is None else f'"{value}"' for value in values) + "}"


def flags(values):
    """literal() of booleans or None."""
    return "{" + ",".join("NULL" if v is None else "t" if v else "f" for v in values) + "}"


def for_type(pg_type):
    """The fastest literal function for a column of PostgreSQL type ``pg_type`` (int4,
    int8, bool, timestamp; any other: texts, json as text included)."""
    return {"int4": numbers, "int8": numbers, "bool": flags, "timestamp": times}.get(pg_type, texts)
