"""Ground truth without a server: the exact data a demo API with these settings serves.

Tests and benchmarks compare what a pipeline loaded with this. For large sizes iterate
``open_dataset(...).iter_incidents()`` (a generator) instead of building one big dict.
"""

from __future__ import annotations

import os
from typing import Any

from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.state import resolve_state


def open_dataset(
    *,
    state_dir: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    incidents: int | None = None,
    dashboards: int | None = None,
    change_fraction: float | None = None,
    batches: int | None = None,
) -> Dataset:
    """The data set as a server on ``state_dir`` with these arguments would serve it.

    ``batches`` overrides the stored number of change batches (no state dir needed).
    """
    state = resolve_state(state_dir, seed, incidents, dashboards, change_fraction)
    return Dataset(state.params, state.batches_applied if batches is None else batches)


def ground_truth(**kwargs: Any) -> dict[str, Any]:
    """``{"incidents", "dashboards", "deleted_dashboard_ids", "deleted_incident_ids", ...}``.

    Deleted incidents are left out of ``incidents`` and listed by id, in deletion order.
    Then ``severities``, every other list (``more.MORE_LISTS``: alerts, action_items,
    post_mortems and the catalogs) as a full scan returns it, and the deleted ids of each
    resource with deletions under the keys of ``more.DELETED_KEYS``.
    """
    return open_dataset(**kwargs).ground_truth()
