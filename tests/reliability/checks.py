"""Assertions shared by the reliability tests: the three promises every failure must keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.reliability.scenarios import TOKEN, Step
from tests.workspace import SCD2_TABLES, Run, Snapshot, parse_ts


def assert_one_line_failure(run: Run, *phrases: str) -> None:
    """Exit 1, and one line on stderr (at most 300 characters after the prefix) that says
    what happened and what to do."""
    assert run.returncode == 1, run.describe()
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout, run.describe()
    lines = run.message_lines
    assert len(lines) == 1, run.describe()
    assert lines[0].startswith("ELT failed: "), run.describe()
    assert len(lines[0]) <= len("ELT failed: ") + 300, run.describe()
    message = " ".join(lines)
    for phrase in phrases:
        assert phrase.lower() in message.lower(), f"{phrase!r} not in {message!r}"
    assert TOKEN not in run.stdout + run.stderr


def assert_raw_unchanged(step: Step) -> None:
    before, after = step.before, step.after
    assert after.incidents == before.incidents
    assert after.dashboards == before.dashboards
    assert after.raw_counts == before.raw_counts


def assert_marts_unchanged(step: Step) -> None:
    """Published marts are still the last good build, byte for byte (every column)."""
    assert step.after.marts_full == step.before.marts_full
    assert step.after.marts, "no published marts to compare"


def assert_cursor_not_advanced(step: Step) -> None:
    before, after = step.before, step.after
    assert after.local_cursor == before.local_cursor
    assert after.destination_cursor == before.destination_cursor
    assert_cursor_within_loaded_data(after)


def assert_cursor_within_loaded_data(snapshot: Snapshot, local: bool = True) -> None:
    """The stored incremental cursor never points past the newest row actually in raw.

    dlt commits its local state (pipelines folder) when extract ends, with the package; only
    the destination's copy (`raw._dlt_pipeline_state`) is committed with the data itself.
    """
    cursors = [snapshot.destination_cursor] + ([snapshot.local_cursor] if local else [])
    for cursor in cursors:
        if cursor is not None:
            assert snapshot.max_loaded_updated_at is not None
            assert parse_ts(cursor) <= parse_ts(snapshot.max_loaded_updated_at)


def assert_converged(step: Step) -> None:
    """raw and marts equal the API's ground truth, with no duplicates: incidents, dashboards,
    and the current rows of every other resource (catalogs, action items, retrospectives,
    alerts)."""
    after, truth = step.after, step.truth
    ids = [i for i, _ in after.incidents]
    assert len(ids) == len(set(ids)), "duplicate incident ids in raw"
    assert normalised(after) == truth_incidents(truth)
    loaded = {i for i, _ in after.incidents}
    assert after.deleted_ids == loaded & set(truth["deleted_incident_ids"]), "deletions missed"
    current = [d for d in after.dashboards if d[2] is None]
    assert len(current) == len({d[0] for d in current}), "two current versions of a dashboard"
    assert after.current_dashboards == truth_dashboards(truth)
    assert after.fct_incidents == truth_incidents(truth), "marts.fct_incidents not rebuilt"
    assert after.live_dim_dashboards == {d["id"] for d in truth["dashboards"]}
    assert after.current_ids == truth_current_ids(truth, after.current_ids)
    if "alerts" in after.current_ids:
        assert after.fct_alerts == truth_alerts(truth), "marts.fct_alerts differs from the API"
    assert_cursor_within_loaded_data(after)
    assert not after.pending_packages


# ------------------------------------------------------------------------- ground truth
def truth_incidents(truth: dict[str, Any]) -> list[tuple[str, datetime]]:
    return sorted((r["id"], parse_ts(r["attributes"]["updated_at"])) for r in truth["incidents"])


def truth_dashboards(truth: dict[str, Any]) -> set[tuple[str, datetime, str]]:
    return {
        (r["id"], parse_ts(r["attributes"]["updated_at"]), r["attributes"]["name"])
        for r in truth["dashboards"]
    }


def truth_alerts(truth: dict[str, Any]) -> dict[str, tuple]:
    """fct_alerts' rows as the API's alerts imply them: status, updated_at, services listed,
    incidents named, and the incident each became (the first named one that exists now)."""
    live = {r["id"] for r in truth["incidents"]}
    rows = {}
    for alert in truth.get("alerts", []):
        attributes = alert["attributes"]
        named = [i["id"] for i in alert["relationships"]["incidents"]["data"]]
        rows[alert["id"]] = (
            attributes["status"],
            parse_ts(attributes["updated_at"]),
            len(attributes["services"]),
            len(named),
            next((i for i in named if i in live), None),
        )
    return rows


def truth_current_ids(truth: dict[str, Any], loaded: dict[str, list[str]]) -> dict[str, list]:
    """Per raw table of `loaded`, the sorted ids the API serves now; every table the API
    has records for must have been loaded."""
    served = {t for t in (*SCD2_TABLES, "alerts") if truth.get(t)}
    assert served <= set(loaded), f"never loaded: {sorted(served - set(loaded))}"
    return {table: sorted(r["id"] for r in truth.get(table, [])) for table in loaded}


def normalised(snapshot: Snapshot) -> list[tuple[str, datetime]]:
    """raw.incidents as the API has them now: rows of incidents found deleted left out."""
    return sorted((i, parse_ts(u)) for i, u in snapshot.incidents if i not in snapshot.deleted_ids)
