"""Turn any failure of a run into one or two lines that say what happened and what to do.

dlt wraps an exception raised while extracting in `PipelineStepFailed` (and the resource's
own wrapper), so the cause a person can act on sits somewhere down the exception chain.
Malformed API bodies are explained where they are parsed (`http._decode_envelope`).

The failures of the run itself (`ConfigurationError`, `ExtractError`, `TransformError`) are
defined here, so the modules that raise them and this one import each other in one direction
only; the others live where they are raised (`ApiError` in `http`, ...) and are imported from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingestion.arrow_pages import ArrowShapeError
from ingestion.http import ApiError
from ingestion.paging import PagingError
from ingestion.records import RecordShapeError
from ingestion.runs import AlreadyRunningError, WarehouseLockedError

MAX_LINE = 300  # docs/reliability.md's promise: one line, at most this many characters
# where a message starts quoting a response (JSON, HTML) or a repr of one
_QUOTED_BODY = re.compile(r"[{<]")
# what to do about an error nobody anticipated: it may be transient, else it is a bug
UNEXPECTED_ADVICE = "; rerun, and report it if it persists"


class ConfigurationError(Exception):
    """The run cannot start: a setting is missing or contradictory."""


class ExtractError(Exception):
    """The extract's child process failed; its message is already the one line to show."""


class TransformError(Exception):
    """dbt failed: a model did not build or a data test found bad rows."""

    def __init__(self, message: str, results: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend([getattr(current, "exception", None), current.__context__, current.__cause__])


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """Collapse whitespace to one line and cut it to `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def resource_of(chain: list[BaseException]) -> str | None:
    """The dlt resource whose extraction raised, if dlt says (its pipe name)."""
    for err in chain:
        name = getattr(err, "pipe_name", None)
        if isinstance(name, str) and name:
            return name
    return None


def describe_unexpected(chain: list[BaseException], exc: BaseException) -> str:
    """An error nobody anticipated: its type and the start of its message, without any
    response body or data it quotes, the resource it came from, and what to do. The
    message is cut so that the advice always fits in `MAX_LINE`."""
    last = chain[-1] if chain else exc
    text = str(last).splitlines()[0] if str(last) else ""
    text = _QUOTED_BODY.split(text, maxsplit=1)[0].rstrip(" :,(")
    where = resource_of(chain)
    prefix = f"reading {where} failed: " if where else ""
    line = one_line(f"{prefix}{type(last).__name__}: {text}", MAX_LINE - len(UNEXPECTED_ADVICE))
    return line.rstrip(" :") + UNEXPECTED_ADVICE


def explain(exc: BaseException, duckdb_path: str | None = None) -> str:
    """The message for the person at the terminal: one line of at most `MAX_LINE`
    characters. Never includes a token or a response body."""
    return one_line(_explain(exc, duckdb_path))


def _explain(exc: BaseException, duckdb_path: str | None) -> str:
    chain = list(exception_chain(exc))
    known_errors = (
        ApiError,
        PagingError,
        RecordShapeError,
        ArrowShapeError,
        ConfigurationError,
        ExtractError,
        TransformError,
        AlreadyRunningError,
        WarehouseLockedError,
    )
    for known in known_errors:
        for err in chain:
            if isinstance(err, known):
                return str(err)
    for err in chain:
        text = str(err)
        if "Could not set lock on file" in text or "Conflicting lock" in text:
            where = f" {duckdb_path}" if duckdb_path else ""
            return (
                f"the warehouse{where} is locked by another process (an open DuckDB shell,"
                " `just query`, or another `just elt`): close it and rerun"
            )
    return describe_unexpected(chain, exc)
