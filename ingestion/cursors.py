"""The incremental cursors: read for the summary and the ledger, rewound after a failed build.

A cursor (`updated_at` of the last record loaded, per resource) is where the next hourly sync
starts reading. It moves as soon as rows are loaded, but a run whose dbt tests failed is not
published, so its cursor is put back: the rows it loaded are read again next time.
"""

from __future__ import annotations

from typing import Any

import dlt

from ingestion.dlt_internals import incremental_last_values, set_incremental_last_values
from ingestion.settings import SOURCE_NAME


def incremental_cursors(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The stored `last_value` of each incremental resource, as dlt's state holds it."""
    return incremental_last_values(pipeline.state, SOURCE_NAME)


def rewind_cursors(pipeline: dlt.Pipeline, before: dict[str, Any]) -> None:
    """Put the incremental cursors back where the last published run left them.

    The rows of a run whose dbt tests failed are loaded (raw is what the API said), but the
    run was not published. Rewinding makes the next run re-read them, so once upstream fixes
    the data a plain rerun converges; merge on `id` makes the re-read harmless. A resource
    with no cursor in `before` was never published: it starts again from `initial_value`.
    """
    set_incremental_last_values(pipeline, SOURCE_NAME, before)
