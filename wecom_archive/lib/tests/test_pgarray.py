"""lib.pgarray against PostgreSQL's own reading of the literals is tested in
tests/test_pipeline.py (every stored column round-trips); here, the literal's text."""

from datetime import date, datetime

from ..pgarray import flags, for_type, literal, numbers, texts, times


def test_numbers_and_null():
    assert literal([1, None, 3]) == "{1,NULL,3}"
    assert literal([]) == "{}"


def test_strings_are_quoted_and_escaped():
    assert literal(['a "b"', "c\\d", "", "NULL", "x,y}"]) == (
        '{"a \\"b\\"","c\\\\d","","NULL","x,y}"}'
    )


def test_booleans_and_times():
    assert literal([True, False]) == "{t,f}"
    assert literal([datetime(2026, 1, 2, 3, 4, 5, 600)]) == '{"2026-01-02 03:04:05.000600"}'
    assert literal([date(2026, 1, 2)]) == '{"2026-01-02"}'


def test_json_values():
    assert literal([["a", "b"], {"k": 1}]) == '{"[\\"a\\", \\"b\\"]","{\\"k\\": 1}"}'


def test_numbers():
    assert numbers([1, 2.5, None, date(2026, 1, 2)]) == "{1,2.5,NULL,2026-01-02}"
    assert numbers(iter([3, 4])) == "{3,4}"
    assert numbers([]) == "{}"


def test_typed_columns_write_what_literal_writes():
    """The typed fast paths give literal()'s text for their own type."""
    strings = ['a "b"', "c\\d", "", "NULL", "x,y}", None, "好的👍🏻"]
    assert texts(strings) == literal(strings)
    moments = [datetime(2026, 1, 2, 3, 4, 5, 600), datetime(2026, 1, 2), None]
    assert times(moments) == literal(moments)
    assert flags([True, False, None]) == "{t,f,NULL}"
    assert for_type("int8") is numbers and for_type("jsonb") is texts
