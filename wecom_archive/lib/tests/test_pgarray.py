"""lib.pgarray against PostgreSQL's own reading of the literals is tested in
tests/test_pipeline.py (every stored column round-trips); here, the literal's text."""

from datetime import date, datetime

from ..pgarray import literal, numbers


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
