"""An hourly run in which nothing changed upstream does not rebuild the marts.

`just elt` three times on one warehouse: a first load, a run with no upstream change, and a
run after a change batch. The second reads and loads as usual, finds raw and the dbt project
as the last published build left them (`ingestion.changes`), and skips dbt and publish; the
ledger and `just status` say so; the third builds again.
"""

from __future__ import annotations

import json

import pytest

from tests.workspace import Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("no_change_skip")]

SMALL_DEMO = {"ELT__DEMO_API__INCIDENTS": "60", "ELT__DEMO_API__DASHBOARDS": "6"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("no-change-skip"))
    first = ws.elt(**SMALL_DEMO)
    assert first.returncode == 0, first.describe()
    after_first = ws.snapshot()
    quiet = ws.elt("--summary-json", str(ws.summary("quiet")), **SMALL_DEMO)
    assert quiet.returncode == 0, quiet.describe()
    after_quiet = ws.snapshot()
    status = ws.just("status")
    ws.apply_demo_changes(1)
    changed = ws.elt("--summary-json", str(ws.summary("changed")), **SMALL_DEMO)
    assert changed.returncode == 0, changed.describe()
    ledger = ws.query("select build from ops.elt_runs order by started_at")
    return {
        "first": first,
        "quiet": quiet,
        "changed": changed,
        "after_first": after_first,
        "after_quiet": after_quiet,
        "after_changed": ws.snapshot(),
        "status": status,
        "ledger": [row[0] for row in ledger],
        "summaries": {
            name: json.loads(ws.summary(name).read_text()) for name in ("quiet", "changed")
        },
    }


def test_a_run_without_upstream_changes_does_not_run_dbt(runs):
    assert "dbt          no changes since the last published build" in runs["quiet"].stdout
    assert "dbt " not in runs["quiet"].stdout.split("seconds", 1)[1]


def test_a_run_without_upstream_changes_still_reads_the_api(runs):
    requests = [line for line in runs["quiet"].stdout.splitlines() if "requests," in line]
    assert requests and not requests[0].strip().startswith("http         0 requests")


def test_a_skipped_build_leaves_every_published_mart_as_it_was(runs):
    assert runs["after_quiet"].marts_full == runs["after_first"].marts_full


def test_the_ledger_records_each_run_and_whether_it_built(runs):
    assert runs["ledger"] == ["built", "no changes", "partial"]


def test_status_says_the_last_run_found_no_changes(runs):
    assert runs["status"].returncode == 0, runs["status"].stderr
    assert "no changes" in runs["status"].stdout


def test_upstream_changes_after_a_skipped_run_are_built_and_published(runs):
    assert "models built" in runs["changed"].stdout
    assert runs["after_changed"].marts != runs["after_quiet"].marts


def test_the_summary_json_says_whether_the_run_built(runs):
    assert runs["summaries"]["quiet"]["build"] == "no changes"
    assert runs["summaries"]["quiet"]["dbt"] == []
    assert runs["summaries"]["changed"]["build"] == "partial"
