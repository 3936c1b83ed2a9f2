"""Plain-text tables for the terminal: aligned, numbers right-aligned, long cells cut.

Kept free of DuckDB so the formatting rules can be tested on plain Python values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import unicodedata
from collections.abc import Sequence
from typing import Any

MAX_CELL_WIDTH = 40
NULL = "NULL"


def display_width(text: str) -> int:
    """Terminal columns a string takes: wide (CJK, most emoji) count 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def truncate(text: str, limit: int = MAX_CELL_WIDTH) -> str:
    """Cut to `limit` columns with an ellipsis, so one long value cannot push others off screen."""
    if display_width(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        w = display_width(char)
        if used + w > limit - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def format_value(value: Any) -> str:
    """One cell. Floats get at most 4 decimals (`--format csv` keeps full precision)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value != 0 and (abs(value) >= 1e15 or abs(value) < 1e-4):
            return f"{value:.6g}"
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (bytes, bytearray)):
        return "\\x" + bytes(value).hex()
    text = str(value)
    return text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\t", " ")


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def render_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], max_cell_width: int = MAX_CELL_WIDTH
) -> str:
    """An aligned table: header, rule, rows; numeric columns right-aligned; NULL shown as NULL."""
    header = [truncate(str(c), max_cell_width) for c in columns]
    cells = [[truncate(format_value(v), max_cell_width) for v in row] for row in rows]
    numeric = [
        bool(rows) and all(row[i] is None or _is_numeric(row[i]) for row in rows)
        for i in range(len(columns))
    ]
    widths = [display_width(h) for h in header]
    for row in cells:
        widths = [max(w, display_width(v)) for w, v in zip(widths, row, strict=True)]
    lines = [
        "  ".join(_pad(h, w, r) for h, w, r in zip(header, widths, numeric, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    for row in cells:
        lines.append("  ".join(_pad(v, w, r) for v, w, r in zip(row, widths, numeric, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def footer(shown: int, total: int, elapsed: float) -> str:
    """`(N rows, 0.012s)` plus, when rows were held back, how many and how to see them."""
    noun = "row" if total == 1 else "rows"
    line = f"({total} {noun}, {elapsed:.3f}s)"
    if total > shown:
        line = (
            f"… {total - shown} more rows (showing {shown}: --limit N shows more, --limit 0 all)\n"
            + line
        )
    return line
