with

alerts as (

    select * from {{ ref('fct_alerts') }}

),

started_alerts as (

    select
        started_date,
        coalesce(source, 'none') as source,
        coalesce(alert_urgency_id, 'none') as alert_urgency_id,
        alert_urgency_name,
        is_noise,
        became_incident,
        is_open,
        minutes_open

    from alerts
    where started_date is not null

),

bounds as (

    select
        min(started_date) as first_day,
        max(started_date) as last_day

    from started_alerts

),

days as (

    {{ date_spine('bounds', 'bounds.first_day', 'bounds.last_day') }}

),

sources as (

    select distinct source from started_alerts

),

urgencies as (

    select
        alert_urgency_id,
        coalesce(max(alert_urgency_name), 'none') as alert_urgency_name

    from started_alerts
    group by alert_urgency_id

),

day_cells as (

    select
        days.date_day,
        sources.source,
        urgencies.alert_urgency_id,
        urgencies.alert_urgency_name

    from days
    cross join sources
    cross join urgencies

),

daily as (

    select
        started_date,
        source,
        alert_urgency_id,
        count(*) as alerts,
        count(case when is_noise then 1 end) as alerts_noise,
        count(is_noise) as alerts_classified,
        count(case when became_incident then 1 end) as alerts_became_incident,
        count(case when is_open then 1 end) as alerts_open,
        count(minutes_open) as alerts_ended,
        percentile_cont(0.5) within group (order by minutes_open)
            as median_minutes_open

    from started_alerts
    group by started_date, source, alert_urgency_id

),

final as (

    select
        day_cells.date_day,
        day_cells.source,
        day_cells.alert_urgency_id,
        day_cells.alert_urgency_name,
        coalesce(daily.alerts, 0) as alerts,
        coalesce(daily.alerts_noise, 0) as alerts_noise,
        coalesce(daily.alerts_classified, 0) as alerts_classified,
        coalesce(daily.alerts_became_incident, 0) as alerts_became_incident,
        coalesce(daily.alerts_open, 0) as alerts_open,
        coalesce(daily.alerts_ended, 0) as alerts_ended,
        cast(daily.alerts_noise as double precision)
        / nullif(daily.alerts_classified, 0) as noise_share,
        cast(daily.alerts_became_incident as double precision)
        / nullif(daily.alerts, 0) as became_incident_share,
        daily.median_minutes_open

    from day_cells
    left join daily
        on
            day_cells.date_day = daily.started_date
            and day_cells.source = daily.source
            and day_cells.alert_urgency_id = daily.alert_urgency_id

)

select * from final
