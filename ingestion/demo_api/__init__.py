"""Demo incident-management API: a local stand-in for a real JSON:API (Rootly's v1 shape).

It is what ``just elt`` loads when no real API is configured, and what every test and
benchmark runs against. Standard library only.

Endpoints (``/v1`` needs ``Authorization: Bearer <token>``):

* ``GET /v1/incidents``: paging ``page[number]`` (default 1) and ``page[size]`` (default 20,
  max 100; bad values are 400), ``filter[updated_at|created_at][gt|gte|lt|lte]``,
  ``filter[status]``, ``filter[kind]`` (comma lists), ``sort=[-]updated_at|[-]created_at``
  (default order: sequential id). Ties are broken by sequential id, so paging is stable.
* ``GET /v1/dashboards``: paging only, in creation order.
* ``/_demo/health|stats|faults|changes|ground-truth`` and ``POST /_demo/stats/reset``: test
  controls, loopback only, no auth.

Python interface::

    from ingestion.demo_api import run_demo_api

    with run_demo_api(seed=42, incidents=500, dashboards=40, state_dir=None,
                      faults={"error_rate": 0.1}, rate_limit=3000, in_process=False) as api:
        api.base_url      # "http://127.0.0.1:PORT/v1/"
        api.token         # bearer token (also api.headers)
        api.stats(); api.reset_stats(); api.set_faults(truncate_page=2)
        api.apply_changes(count=1); api.ground_truth()

``open_dataset(...)`` / ``ground_truth(...)`` give the same data without a server. The CLI is
``python -m ingestion.demo_api serve|change|ground-truth --help``.

Design: incidents live in typed arrays (timestamps, status, kind, severity, version) and are
rendered on demand, and sort orders are indexes rebuilt only when a change batch is applied,
so a page costs O(page size + log n) whatever the collection size.
"""

from ingestion.demo_api.dataset import BatchSummary, DataParams, Dataset
from ingestion.demo_api.faults import Faults
from ingestion.demo_api.runner import DemoAPI, run_demo_api
from ingestion.demo_api.server import ServerConfig
from ingestion.demo_api.truth import ground_truth, open_dataset

DemoAPIOptions = ServerConfig

__all__ = [
    "BatchSummary",
    "DataParams",
    "Dataset",
    "DemoAPI",
    "DemoAPIOptions",
    "Faults",
    "ServerConfig",
    "ground_truth",
    "open_dataset",
    "run_demo_api",
]
