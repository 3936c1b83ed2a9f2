-- A table, not a view: many models and tests read it, and as a view each of them
-- re-ran its joins (the memory and time of that: docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

incidents as (

    select * from {{ ref('int_incidents__durations') }}

),

follow_ups as (

    select * from {{ ref('int_follow_ups__rolled_up_to_incidents') }}

),

retrospectives as (

    select * from {{ ref('int_retrospectives__rolled_up_to_incidents') }}

),

latest_load as (

    select * from {{ ref('int_loads__latest_completed') }}

),

joined as (

    select
        incidents.incident_id,
        incidents.is_countable,
        incidents.is_resolved,
        incidents.is_deleted,
        incidents.started_at,
        incidents.resolved_at,
        incidents.minutes_to_mitigate,
        incidents.minutes_to_resolve,
        coalesce(retrospectives.retrospective_count, 0) > 0 as has_retrospective,
        coalesce(retrospectives.published_retrospective_count, 0) > 0
            as is_retrospective_published,
        retrospectives.retrospective_created_at,
        retrospectives.retrospective_published_at,
        coalesce(follow_ups.follow_ups_total, 0) as follow_ups_total,
        coalesce(follow_ups.follow_ups_open, 0) as follow_ups_open,
        coalesce(follow_ups.follow_ups_overdue, 0) as follow_ups_overdue,
        coalesce(follow_ups.follow_ups_done, 0) as follow_ups_done,
        coalesce(follow_ups.follow_ups_cancelled, 0) as follow_ups_cancelled,
        latest_load.as_of

    from incidents
    cross join latest_load
    left join follow_ups
        on incidents.incident_id = follow_ups.incident_id
    left join retrospectives
        on incidents.incident_id = retrospectives.incident_id

),

final as (

    select
        incident_id,
        is_countable,
        is_resolved,
        is_deleted,
        started_at,
        resolved_at,
        minutes_to_mitigate,
        minutes_to_resolve,
        has_retrospective,
        is_retrospective_published,
        retrospective_created_at,
        retrospective_published_at,
        {{ minutes_between('resolved_at', 'retrospective_published_at') }} / 1440.0
            as days_to_published_retrospective,
        follow_ups_total,
        follow_ups_open,
        follow_ups_overdue,
        follow_ups_done,
        follow_ups_cancelled,
        as_of

    from joined

)

select * from final
