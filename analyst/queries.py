"""Every SQL statement the report and the status command run, in one place.

The report reads the marts only (plus the run ledger for its header), so its numbers are
the numbers an analyst gets from `just query`; the status command reads the ledger, the
marts' row counts and dlt's load table. Results come back as plain dicts so the chart and
render code stays free of DuckDB and can be tested on literals.

Incidents deleted upstream stay as rows of `marts.fct_incidents` (`is_deleted`) and are never
countable: every query here that counts or measures incidents leaves them out (the daily and
team marts already do). The status command's mart sizes are table row counts, deleted rows
included.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import duckdb

from analyst.warehouse import has_table

MARTS_SCHEMA = "marts"
LEDGER = ("ops", "elt_runs")

INCIDENTS_PER_WEEK = """
select date_trunc('week', date_day)::date as week_start,
       severity_level,
       sum(incidents_started)::bigint as incidents
from marts.incident_metrics_daily
group by all
order by week_start, severity_level
"""

# Percentiles cannot be rolled up from daily medians, so they come from the incident fact,
# with the mart's definitions: countable (never deleted upstream), resolved, interpolated
# percentile_cont. `not is_deleted` is implied by `is_countable`; it is spelled out because
# fct_incidents keeps deleted incidents as rows.
RESOLVE_TIMES_PER_MONTH = """
select date_trunc('month', started_date)::date as month_start,
       severity_level,
       count(*)::bigint as incidents_resolved,
       percentile_cont(0.5) within group (order by minutes_to_resolve) as median_minutes,
       percentile_cont(0.9) within group (order by minutes_to_resolve) as p90_minutes
from marts.fct_incidents
where is_countable and not is_deleted and is_resolved and minutes_to_resolve is not null
  and started_date is not null and severity_level is not null
group by all
order by month_start, severity_level
"""

SLA_TARGETS = """
select severity_level, min(sla_target_minutes) as sla_target_minutes
from marts.fct_incidents
where sla_target_minutes is not null and severity_level is not null
group by all
order by sla_target_minutes, severity_level
"""

# A rate over a week is total breached / total resolved with a target, never a mean of rates.
SLA_BREACH_RATE_PER_WEEK = """
select date_trunc('week', date_day)::date as week_start,
       sum(incidents_sla_breached)::bigint as breached,
       sum(incidents_resolved_with_sla_target)::bigint as resolved_with_target,
       sum(incidents_sla_breached) / nullif(sum(incidents_resolved_with_sla_target), 0)
           as breach_rate
from marts.incident_metrics_daily
group by all
order by week_start
"""

TOP_TEAMS = """
select s.team_id,
       coalesce(any_value(s.team_name), 'team ' || s.team_id) as team_name,
       sum(s.incidents)::bigint as incidents
from marts.team_incident_summary as s
group by s.team_id
order by incidents desc, team_name
limit ?
"""

DASHBOARDS_PER_TEAM = """
select d.team_id,
       coalesce(any_value(t.team_name),
                case when d.team_id is null then 'no team' else 'team ' || d.team_id end)
           as team_name,
       count(*) filter (where not d.is_deleted)::bigint as dashboards,
       count(*) filter (where d.is_deleted)::bigint as deleted_dashboards
from marts.dim_dashboards as d
left join marts.dim_teams as t on t.team_id = d.team_id
group by d.team_id
order by dashboards desc, deleted_dashboards desc, team_name
"""

# fct_incidents keeps incidents deleted upstream as rows: the as-of markers (newest change,
# period) read every row the load saw, the counts and the median leave deleted ones out
# (`is_countable` is false for them).
DATA_AS_OF = """
select max(updated_at) as newest_change,
       min(started_date) as first_day,
       max(started_date) as last_day,
       count(*) filter (where not is_deleted)::bigint as incidents,
       count(*) filter (where is_countable and not is_deleted)::bigint as countable_incidents,
       median(minutes_to_resolve) filter (where is_countable and not is_deleted and is_resolved)
           as median_minutes_to_resolve
from marts.fct_incidents
"""

OVERALL_BREACH_RATE = """
select sum(incidents_sla_breached) / nullif(sum(incidents_resolved_with_sla_target), 0)
from marts.incident_metrics_daily
"""

LAST_RUN = """
select run_id, started_at, finished_at, status, source, full_refresh,
       rows_by_table, pages_by_resource, cursor_before, cursor_after, error
from ops.elt_runs
{where}
order by finished_at desc nulls last, started_at desc
limit 1
"""

LAST_COMPLETED_LOAD = "select max(inserted_at) from raw._dlt_loads where status = 0"


def records(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict]:
    """Rows as dicts keyed by column name."""
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def last_run(con: duckdb.DuckDBPyConnection, successful: bool = True) -> dict | None:
    """The newest ledger row (the newest successful one by default); None before any run.

    The JSON text columns are decoded, so callers get dicts.
    """
    if not has_table(con, *LEDGER):
        return None
    where = "where status = 'success'" if successful else ""
    rows = records(con, LAST_RUN.format(where=where))
    if not rows:
        return None
    run = rows[0]
    for key in ("rows_by_table", "pages_by_resource", "cursor_before", "cursor_after"):
        # keep the text when it does not parse: a ledger of another version still shows
        with contextlib.suppress(TypeError, ValueError):
            run[key] = json.loads(run[key]) if run[key] else None
    return run


def mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views in the marts schema, sorted."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?"
        " order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def mart_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = {}
    for name in mart_names(con):
        row = con.execute(f'select count(*) from {MARTS_SCHEMA}."{name}"').fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def last_completed_load(con: duckdb.DuckDBPyConnection) -> Any:
    """When dlt finished its newest completed load (`raw._dlt_loads`), or None."""
    if not has_table(con, "raw", "_dlt_loads"):
        return None
    row = con.execute(LAST_COMPLETED_LOAD).fetchone()
    return row[0] if row else None
