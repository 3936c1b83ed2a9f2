with

incidents as (

    select * from {{ ref('stg_analytics_api__incidents') }}

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
        coalesce(kind in ('normal', 'normal_sub', 'backfilled'), false) as is_countable,
        resolved_at is not null as is_resolved,
        (
            resolved_at is null
            and cancelled_at is null
            and coalesce(status, '') not in ('resolved', 'closed', 'cancelled', 'completed')
        ) as is_open,
        dlt_load_id

    from incidents

)

select * from durations
