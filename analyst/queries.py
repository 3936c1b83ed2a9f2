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

# --- alerts (`marts.alert_metrics_daily`, `marts.fct_alerts`) -----------------------------
# Shares over a period are sums of the daily numerators over sums of the daily denominators
# (never means of daily shares), with the mart's definitions: noise share = noise / classified
# (unclassified alerts in neither count), became-incident share = became incident / alerts.
# The daily mart holds alerts with a `started_at` only; `alerts_without_start` says how many
# of `fct_alerts` that leaves out.
ALERT_TOTALS = """
select (select count(*) from marts.fct_alerts)::bigint as alerts_loaded,
       (select count(*) from marts.fct_alerts where started_at is null)::bigint
           as alerts_without_start,
       (select percentile_cont(0.5) within group (order by minutes_open)
          from marts.fct_alerts where started_at is not null) as median_minutes_open,
       coalesce(sum(alerts), 0)::bigint as alerts,
       coalesce(sum(alerts_noise), 0)::bigint as alerts_noise,
       coalesce(sum(alerts_classified), 0)::bigint as alerts_classified,
       coalesce(sum(alerts_became_incident), 0)::bigint as alerts_became_incident,
       coalesce(sum(alerts_open), 0)::bigint as alerts_open,
       sum(alerts_noise) / nullif(sum(alerts_classified), 0) as noise_share,
       sum(alerts_became_incident) / nullif(sum(alerts), 0) as became_incident_share,
       min(date_day) filter (where alerts > 0) as first_day,
       max(date_day) filter (where alerts > 0) as last_day
from marts.alert_metrics_daily
"""

ALERTS_PER_WEEK = """
select date_trunc('week', date_day)::date as week_start,
       sum(alerts)::bigint as alerts,
       sum(alerts_noise)::bigint as noise,
       sum(alerts_classified - alerts_noise)::bigint as not_noise,
       sum(alerts - alerts_classified)::bigint as unclassified,
       sum(alerts_classified)::bigint as classified,
       sum(alerts_became_incident)::bigint as became_incident,
       sum(alerts_noise) / nullif(sum(alerts_classified), 0) as noise_share,
       sum(alerts_became_incident) / nullif(sum(alerts), 0) as became_incident_share
from marts.alert_metrics_daily
group by all
order by week_start
"""

# Medians cannot be rolled up from the daily medians: they come from the alert fact, over the
# alerts of the daily mart (with a `started_at`) that have ended (`minutes_open` not null).
ALERT_MINUTES_OPEN_BY_URGENCY = """
select coalesce(alert_urgency_id, 'none') as alert_urgency_id,
       coalesce(max(alert_urgency_name), 'none') as urgency,
       count(*)::bigint as alerts,
       count(minutes_open)::bigint as alerts_ended,
       count(*) filter (where is_open)::bigint as alerts_open,
       percentile_cont(0.5) within group (order by minutes_open) as median_minutes_open
from marts.fct_alerts
where started_at is not null
group by all
order by urgency
"""

TOP_ALERT_SOURCES = """
select source,
       sum(alerts)::bigint as alerts,
       sum(alerts_noise)::bigint as noise,
       sum(alerts_classified - alerts_noise)::bigint as not_noise,
       sum(alerts - alerts_classified)::bigint as unclassified,
       sum(alerts_classified)::bigint as classified,
       sum(alerts_noise) / nullif(sum(alerts_classified), 0) as noise_share,
       sum(alerts_became_incident) / nullif(sum(alerts), 0) as became_incident_share
from marts.alert_metrics_daily
group by source
having sum(alerts) > 0
order by alerts desc, source
limit ?
"""

# --- follow-ups and retrospectives (`marts.fct_follow_ups`, `marts.incident_follow_through`)
# Follow-ups: the countable ones (`is_countable`: not deleted upstream, incident not deleted);
# open, overdue and done as of the newest completed load (`as_of`), never the clock.
# Completion rate = done / countable not cancelled (cancelled ones in neither count).
FOLLOW_UP_TOTALS = """
select max(as_of) as as_of,
       count(*) filter (where is_countable)::bigint as follow_ups,
       count(*) filter (where is_countable and is_open)::bigint as follow_ups_open,
       count(*) filter (where is_countable and is_overdue)::bigint as follow_ups_overdue,
       count(*) filter (where is_countable and is_done)::bigint as follow_ups_done,
       count(*) filter (where is_countable and status = 'cancelled')::bigint
           as follow_ups_cancelled,
       count(*) filter (where is_countable and is_done)
       / nullif(count(*) filter (where is_countable and status is distinct from 'cancelled'), 0)
           as follow_up_completion_rate,
       percentile_cont(0.5) within group (order by days_to_complete)
           filter (where is_countable) as median_days_to_complete
from marts.fct_follow_ups
"""

# Retrospectives: countable incidents (`incident_follow_through.is_countable`); retrospective
# rate = resolved with a retrospective (draft or published) / resolved.
RETROSPECTIVE_TOTALS = """
select max(as_of) as as_of,
       count(*) filter (where is_countable and is_resolved)::bigint as incidents_resolved,
       count(*) filter (where is_countable and is_resolved and has_retrospective)::bigint
           as incidents_resolved_with_retrospective,
       count(*) filter (where is_countable and is_resolved and has_retrospective)
       / nullif(count(*) filter (where is_countable and is_resolved), 0) as retrospective_rate,
       count(*) filter (where is_countable and has_retrospective)::bigint as retrospectives,
       count(*) filter (where is_countable and is_retrospective_published)::bigint
           as retrospectives_published,
       count(days_to_published_retrospective) filter (where is_countable)::bigint
           as resolved_with_published_retrospective,
       percentile_cont(0.5) within group (order by days_to_published_retrospective)
           filter (where is_countable) as median_days_to_published_retrospective
from marts.incident_follow_through
"""

# Per UTC month of the incident's start, each countable incident once (an incident listing
# several teams is not counted per team as in `team_incident_summary`, and incidents listing
# no team are in): the summary marts' definitions of follow-ups (not cancelled, not deleted),
# completion rate and retrospective rate.
FOLLOW_THROUGH_PER_MONTH = """
select date_trunc('month', i.started_date)::date as month_start,
       count(*)::bigint as incidents,
       sum(f.follow_ups_total - f.follow_ups_cancelled)::bigint as follow_ups,
       sum(f.follow_ups_done)::bigint as follow_ups_done,
       sum(f.follow_ups_done) / nullif(sum(f.follow_ups_total - f.follow_ups_cancelled), 0)
           as follow_up_completion_rate,
       count(*) filter (where f.is_resolved)::bigint as incidents_resolved,
       count(*) filter (where f.is_resolved and f.has_retrospective)::bigint
           as incidents_resolved_with_retrospective,
       count(*) filter (where f.is_resolved and f.has_retrospective)
       / nullif(count(*) filter (where f.is_resolved), 0) as retrospective_rate
from marts.incident_follow_through as f
inner join marts.fct_incidents as i on i.incident_id = f.incident_id
where f.is_countable and i.started_date is not null
group by all
order by month_start
"""

DAYS_TO_RETROSPECTIVE_PER_MONTH = """
select date_trunc('month', resolved_at)::date as month_start,
       count(*)::bigint as retrospectives_published,
       percentile_cont(0.5) within group (order by days_to_published_retrospective)
           as median_days
from marts.incident_follow_through
where is_countable and days_to_published_retrospective is not null and resolved_at is not null
group by all
order by month_start
"""


def overdue_follow_ups_by(dimension: str, bridge: str, catalog: str) -> str:
    """Open countable follow-ups per team or service (``dimension``) their incident lists,
    the most overdue first: an item of an incident listing several counts for each; items of
    incidents that list none are under `no <dimension> listed`. The name comes from the
    catalog, else from the incident's listing."""
    return f"""
select b.{dimension}_id,
       coalesce(any_value(d.{dimension}_name), any_value(b.{dimension}_name),
                case when b.{dimension}_id is null then 'no {dimension} listed'
                     else '{dimension} ' || b.{dimension}_id end)
           as {dimension}_name,
       count(*) filter (where f.is_overdue)::bigint as overdue,
       count(*)::bigint as open
from marts.fct_follow_ups as f
left join marts.{bridge} as b on b.incident_id = f.incident_id
left join marts.{catalog} as d on d.{dimension}_id = b.{dimension}_id
where f.is_countable and f.is_open
group by b.{dimension}_id
having count(*) filter (where f.is_overdue) > 0
order by overdue desc, open desc, {dimension}_name
limit ?
"""


OVERDUE_FOLLOW_UPS_BY_TEAM = overdue_follow_ups_by("team", "bridge_incident_teams", "dim_teams")
OVERDUE_FOLLOW_UPS_BY_SERVICE = overdue_follow_ups_by(
    "service", "bridge_incident_services", "dim_services"
)

# The marts each report section reads: a section whose marts are not all built says so.
ALERT_MARTS = ("alert_metrics_daily", "fct_alerts")
FOLLOW_UP_MARTS = (
    "fct_follow_ups",
    "incident_follow_through",
    "fct_incidents",
    "bridge_incident_teams",
    "bridge_incident_services",
    "dim_teams",
    "dim_services",
)

LAST_RUN = """
select *
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
