-- A table, not a view: many models and tests read it, and as a view each of them
-- re-ran its joins (the memory and time of that: docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

incidents as (

    select
        incident_id,
        dlt_load_id

    from {{ ref('stg_analytics_api__incidents') }}

),

incident_deletions as (

    select * from {{ ref('stg_analytics_api__incident_deletions') }}

),

flagged as (

    -- Deleted only while the deletion set was written by a load at or after the
    -- incident row's own load: an incident restored upstream and reloaded by a later
    -- run is alive again, even before the next check rewrites the set. Load ids are
    -- epoch seconds as text, so they are compared as numbers.
    select
        incidents.incident_id,
        incident_deletions.found_deleted_at,
        coalesce(
            cast(incident_deletions.dlt_load_id as double precision)
            >= cast(incidents.dlt_load_id as double precision),
            false
        ) as is_deleted

    from incidents
    left join incident_deletions
        on incidents.incident_id = incident_deletions.incident_id

),

final as (

    select
        incident_id,
        is_deleted,
        case when is_deleted then found_deleted_at end as deleted_found_at

    from flagged

)

select * from final
