-- A table, not a view: many models and tests read it, and as a view each of them
-- re-ran its joins (the memory and time of that: docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

durations as (

    select * from {{ ref('int_incidents__durations') }}

),

incident_teams as (

    select * from {{ ref('int_incident_teams__ranked') }}

),

incident_services as (

    select * from {{ ref('stg_analytics_api__incident_services') }}

),

sla_targets as (

    select * from {{ ref('sla_targets') }}

),

team_rollup as (

    select
        incident_id,
        max(case when is_primary then team_id end) as primary_team_id,
        max(case when is_primary then team_name end) as primary_team_name,
        count(*) as team_count

    from incident_teams
    group by incident_id

),

service_rollup as (

    select
        incident_id,
        count(*) as service_count

    from incident_services
    group by incident_id

),

joined as (

    select
        durations.*,
        team_rollup.primary_team_id,
        team_rollup.primary_team_name,
        coalesce(team_rollup.team_count, 0) as team_count,
        coalesce(service_rollup.service_count, 0) as service_count,
        sla_targets.sla_target_minutes

    from durations
    left join team_rollup
        on durations.incident_id = team_rollup.incident_id
    left join service_rollup
        on durations.incident_id = service_rollup.incident_id
    left join sla_targets
        on durations.severity_level = sla_targets.severity_level

),

final as (

    -- Text columns are cast to the warehouse's string type (`text` on PostgreSQL,
    -- where staging yields `varchar`): `fct_incidents` is created with its contract's
    -- `text` columns, and an incremental run's new rows must have the same types or
    -- `on_schema_change: fail` stops it.
    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        sequential_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(slug as {{ dbt.type_string() }}) as slug,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(status as {{ dbt.type_string() }}) as status,
        is_private,
        cast(severity_id as {{ dbt.type_string() }}) as severity_id,
        cast(severity_level as {{ dbt.type_string() }}) as severity_level,
        cast(severity_name as {{ dbt.type_string() }}) as severity_name,
        cast(primary_team_id as {{ dbt.type_string() }}) as primary_team_id,
        cast(primary_team_name as {{ dbt.type_string() }}) as primary_team_name,
        team_count,
        service_count,
        created_at,
        updated_at,
        started_at,
        cast({{ dbt.date_trunc('day', 'started_at') }} as date) as started_date,
        detected_at,
        acknowledged_at,
        mitigated_at,
        resolved_at,
        closed_at,
        cancelled_at,
        minutes_to_detect,
        minutes_to_acknowledge,
        minutes_to_mitigate,
        minutes_to_resolve,
        is_resolved,
        is_open,
        is_countable,
        is_deleted,
        deleted_found_at,
        sla_target_minutes,
        case
            when minutes_to_resolve is null or sla_target_minutes is null then null
            else minutes_to_resolve > sla_target_minutes
        end as is_sla_breached,
        cast(dlt_load_id as {{ dbt.type_string() }}) as dlt_load_id

    from joined

)

select * from final
