-- A table, not a view: many models and tests read it, and as a view each of them
-- re-ran its joins (the memory and time of that: docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

incidents as (

    select * from {{ ref('stg_analytics_api__incidents') }}

),

deletion_flags as (

    select * from {{ ref('int_incidents__deletions_flagged') }}

),

flagged as (

    select
        incidents.*,
        coalesce(deletion_flags.is_deleted, false) as is_deleted,
        deletion_flags.deleted_found_at

    from incidents
    left join deletion_flags
        on incidents.incident_id = deletion_flags.incident_id

),

durations as (

    select
        incident_id,
        sequential_id,
        title,
        slug,
        kind,
        status,
        is_private,
        severity_id,
        severity_name,
        severity_level,
        created_at,
        updated_at,
        started_at,
        detected_at,
        acknowledged_at,
        mitigated_at,
        resolved_at,
        closed_at,
        cancelled_at,
        {{ minutes_between('started_at', 'detected_at') }} as minutes_to_detect,
        {{ minutes_between('started_at', 'acknowledged_at') }} as minutes_to_acknowledge,
        {{ minutes_between('started_at', 'mitigated_at') }} as minutes_to_mitigate,
        {{ minutes_between('started_at', 'resolved_at') }} as minutes_to_resolve,
        -- Deleted incidents stay as rows but are in no count, rate or duration.
        (
            coalesce(kind in ('normal', 'normal_sub', 'backfilled'), false)
            and not is_deleted
        ) as is_countable,
        resolved_at is not null as is_resolved,
        (
            resolved_at is null
            and cancelled_at is null
            and coalesce(status, '') not in ('resolved', 'closed', 'cancelled', 'completed')
        ) as is_open,
        is_deleted,
        deleted_found_at,
        dlt_load_id

    from flagged

)

select * from durations
