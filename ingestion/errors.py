"""Turn any failure of a run into one or two lines that say what happened and what to do.

dlt wraps an exception raised while extracting in `PipelineStepFailed` (and the resource's
own wrapper), so the cause a person can act on sits somewhere down the exception chain.
Malformed API bodies are explained where they are parsed (`http._decode_envelope`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ingestion.arrow_pages import ArrowShapeError
from ingestion.http import ApiError
from ingestion.records import RecordShapeError


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


def explain(exc: BaseException, duckdb_path: str | None = None) -> str:
    """The message for the person at the terminal. Never includes a token."""
    from ingestion.pipeline import ConfigurationError, TransformError
    from ingestion.runs import AlreadyRunningError, WarehouseLockedError

    chain = list(exception_chain(exc))
    known_errors = (
        ApiError,
        RecordShapeError,
        ArrowShapeError,
        ConfigurationError,
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
    last = chain[-1] if chain else exc
    return f"{type(last).__name__}: {str(last).splitlines()[0] if str(last) else ''}".strip()
