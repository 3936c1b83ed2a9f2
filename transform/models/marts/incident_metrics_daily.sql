with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

sla_targets as (

    select * from {{ ref('sla_targets') }}

),

countable_started as (

    select
        started_date,
        coalesce(severity_level, 'none') as severity_level,
        is_resolved,
        is_open,
        is_sla_breached,
        minutes_to_resolve,
        minutes_to_acknowledge

    from incidents
    where is_countable and started_date is not null

),

bounds as (

    select
        min(started_date) as first_day,
        max(started_date) as last_day

    from countable_started

),

days as (

    {{ date_spine('bounds', 'bounds.first_day', 'bounds.last_day') }}

),

severity_levels as (

    select severity_level from sla_targets
    union
    select severity_level from countable_started
    union
    select 'none' as severity_level

),

day_levels as (

    select
        days.date_day,
        severity_levels.severity_level

    from days
    cross join severity_levels

),

daily as (

    select
        started_date,
        severity_level,
        count(*) as incidents_started,
        count(case when is_resolved then 1 end) as incidents_resolved,
        count(case when is_open then 1 end) as incidents_open,
        count(case when is_sla_breached then 1 end) as incidents_sla_breached,
        count(is_sla_breached) as incidents_resolved_with_sla_target,
        avg(minutes_to_resolve) as mean_minutes_to_resolve,
        percentile_cont(0.5) within group (order by minutes_to_resolve)
            as median_minutes_to_resolve,
        percentile_cont(0.9) within group (order by minutes_to_resolve)
            as p90_minutes_to_resolve,
        avg(minutes_to_acknowledge) as mean_minutes_to_acknowledge,
        percentile_cont(0.5) within group (order by minutes_to_acknowledge)
            as median_minutes_to_acknowledge

    from countable_started
    group by started_date, severity_level

),

final as (

    select
        day_levels.date_day,
        day_levels.severity_level,
        coalesce(daily.incidents_started, 0) as incidents_started,
        coalesce(daily.incidents_resolved, 0) as incidents_resolved,
        coalesce(daily.incidents_open, 0) as incidents_open,
        coalesce(daily.incidents_sla_breached, 0) as incidents_sla_breached,
        coalesce(daily.incidents_resolved_with_sla_target, 0)
            as incidents_resolved_with_sla_target,
        daily.mean_minutes_to_resolve,
        daily.median_minutes_to_resolve,
        daily.p90_minutes_to_resolve,
        daily.mean_minutes_to_acknowledge,
        daily.median_minutes_to_acknowledge,
        cast(daily.incidents_sla_breached as double precision)
        / nullif(daily.incidents_resolved_with_sla_target, 0) as sla_breach_rate

    from day_levels
    left join daily
        on
            day_levels.date_day = daily.started_date
            and day_levels.severity_level = daily.severity_level

)

select * from final
