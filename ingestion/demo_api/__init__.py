"""Demo incident-management API: a local stand-in for a real JSON:API (Rootly's v1 shape).

It is what ``just elt`` loads when no real API is configured, and what every test and
benchmark runs against. Standard library only.

Endpoints (``/v1`` needs ``Authorization: Bearer <token>``):

* ``GET /v1/incidents``: paging ``page[number]`` (default 1) and ``page[size]`` (default 20,
  max 100; bad values are 400), ``filter[updated_at|created_at][gt|gte|lt|lte]``,
  ``filter[status]``, ``filter[kind]`` (comma lists), ``sort=[-]updated_at|[-]created_at``
  (default order: sequential id). Ties are broken by sequential id, so paging is stable.
  Cursor paging as in the vendor's current spec: ``meta.next_cursor`` is an opaque cursor
  (the sort key and sequential id of the page's last record) or null on the last page, and
  ``page[after]=<cursor>`` returns the records strictly after it in the request's order and
  filters (``page[number]`` is then ignored, ``meta`` page numbers are null and
  ``links.next`` carries ``page[after]``). Being keyset, it stays complete while records
  change; a malformed cursor, or one issued for another sort, is 400 naming ``page[after]``.
* ``GET /v1/dashboards``: paging only, in creation order (no cursor paging, as in the spec).
* ``GET /v1/alerts``: as incidents: ``filter[updated_at|created_at][gt|gte|lt|lte]``,
  ``filter[status]`` (open, triggered, acknowledged, resolved, deferred), ``sort=[-]updated_at|
  [-]created_at`` and cursor paging (default order: creation). About three per incident;
  ``relationships.incidents.data`` names the incidents one became (about 15 % of alerts).
* ``GET /v1/action_items`` and ``GET /v1/incidents/{incident_id}/action_items`` (404 for an
  unknown or deleted incident), ``GET /v1/post_mortems`` (retrospectives): full scans by
  page number; each record names its incident in ``relationships.incident.data``.
* Catalogs, full scans by page number: ``/v1/teams`` (type ``groups``), ``/v1/services``,
  ``/v1/severities``, ``/v1/environments``, ``/v1/incident_types``, ``/v1/functionalities``,
  ``/v1/users``, ``/v1/alert_sources``, ``/v1/alert_urgencies``. Their ids are the same for
  every seed and are the ids incidents, alerts, action items and dashboards refer to.
* ``/_demo/health|stats|faults|changes|ground-truth`` and ``POST /_demo/stats/reset``: test
  controls, loopback only, no auth. Health counts ``live_updates`` and ``live_deletes``.

Every response of ``/v1`` carries rate-limit headers in one of four dialects
(``rate_limit_headers``: ``ietf`` RateLimit-* with an epoch reset, the default;
``ietf-delta`` with a reset in seconds from now; ``x`` the spec's X-RateLimit-Limit/
-Remaining/-Used/-Reset; ``none``), and a 429 has a JSON:API, plain ``{"error": ...}`` or
empty body (``rate_limit_body``). Faults (``faults.py``) break responses on demand; among
them ``no_cursor_paging`` (an older server), ``omit_meta``/``omit_links`` (missing paging
metadata) and ``churn_per_page``/``churn_delete_share`` (incidents updated or deleted while
a client pages, in memory only; alerts updated instead with ``fault_resource=alerts``).
Faults apply to every list (``fault_resource`` names one; the nested action items count as
``action_items``). Change batches update, add and delete
incidents and edit and delete dashboards; they also fire, move on and classify alerts,
complete and file action items, draft and publish retrospectives, and rename, add or delete
a catalog entry (the other resources come from RNG streams of their own: incidents and
dashboards are the same as without them). Deleting an incident deletes its action items and
retrospective. Ground truth has every list and ``deleted_<resource>_ids`` for each resource
with deletions (``more.DELETED_KEYS``).

Python interface::

    from ingestion.demo_api import run_demo_api

    with run_demo_api(seed=42, incidents=500, dashboards=40, state_dir=None,
                      faults={"error_rate": 0.1}, rate_limit=3000, in_process=False,
                      rate_limit_headers="ietf", rate_limit_body="jsonapi") as api:
        api.base_url      # "http://127.0.0.1:PORT/v1/"
        api.token         # bearer token (also api.headers)
        api.stats(); api.reset_stats(); api.set_faults(truncate_page=2)
        api.apply_changes(count=1); api.ground_truth()

``open_dataset(...)`` / ``ground_truth(...)`` give the same data without a server. The CLI is
``python -m ingestion.demo_api serve|change|ground-truth --help``.

Design: incidents live in typed arrays (timestamps, status, kind, severity, version, deleted)
and are rendered on demand, and sort orders are indexes rebuilt only when a change batch is
applied (and patched in place by live updates), so a page costs O(page size + log n)
whatever the collection size, by page number or by cursor. Alerts, action items and
retrospectives are built the same way (``alerts.py``, ``followups.py``), on the first request
that needs them (``more.py``).
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
