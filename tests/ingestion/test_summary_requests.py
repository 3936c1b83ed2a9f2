"""The run summary reports requests per resource: sent (retries included), retried, 429s."""

from __future__ import annotations

from ingestion.http import HttpStats
from ingestion.summary import RunSummary


def summary(stats: HttpStats) -> RunSummary:
    pages = {path.rsplit("/", 1)[-1]: n for path, n in stats.requests.items()}
    rows = {"alerts": 180, "teams": 9}
    return RunSummary("http://api/v1/", True, "duckdb", pages, rows, stats.as_dict(), [], {})


def test_requests_retries_and_429s_are_counted_per_resource():
    stats = HttpStats()
    stats.requests.update({"/v1/alerts": 6, "/v1/teams": 1})
    stats.retries_by_path.update({"/v1/alerts": 2})
    stats.rate_limited_by_path.update({"/v1/alerts": 1})
    report = summary(stats).as_dict()["requests"]
    assert report == {
        "alerts": {"requests": 6, "retries": 2, "rate_limited": 1},
        "teams": {"requests": 1, "retries": 0, "rate_limited": 0},
    }
    lines = summary(stats).render().splitlines()
    (alerts,) = [line for line in lines if line.strip().startswith("alerts")]
    assert alerts.endswith("180 rows (2 retried, 1 x 429)")
    (teams,) = [line for line in lines if line.strip().startswith("teams")]
    assert "retried" not in teams
