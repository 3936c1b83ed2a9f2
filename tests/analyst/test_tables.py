"""The terminal table: alignment, NULLs, cut cells, wide characters, the footer."""

from __future__ import annotations

import datetime as dt

from analyst.tables import display_width, footer, format_value, render_table, truncate


def test_columns_align_and_numbers_right_align() -> None:
    text = render_table(["name", "n"], [("a", 1), ("longer", 100), ("b", None)])
    assert text.splitlines() == [
        "name       n",
        "------  ----",
        "a          1",
        "longer   100",
        "b       NULL",
    ]


def test_long_cells_are_cut_with_an_ellipsis() -> None:
    text = render_table(["t"], [("x" * 100,)], max_cell_width=10)
    assert text.splitlines()[2] == "x" * 9 + "…"


def test_wide_characters_count_two_columns() -> None:
    assert display_width("Growth 🚀") == 9
    rows = render_table(["team", "n"], [("Growth 🚀", 1), ("Platform!", 2)]).splitlines()
    assert display_width(rows[2]) == display_width(rows[3])
    assert display_width(truncate("🚀" * 10, 5)) <= 5


def test_values_render_readably() -> None:
    assert format_value(1305.2739333333334) == "1305.2739"
    assert format_value(2.0) == "2"
    assert format_value(1e-9) == "1e-09"
    assert format_value(True) == "true"
    assert format_value("two\nlines") == "two⏎lines"
    assert format_value(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"


def test_footer_says_how_many_rows_were_held_back() -> None:
    assert footer(1, 1, 0.01) == "(1 row, 0.010s)"
    text = footer(50, 120, 0.5)
    assert "… 70 more rows" in text and "--limit" in text and text.endswith("(120 rows, 0.500s)")
