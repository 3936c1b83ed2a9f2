-- Every countable incident with a start time is counted exactly once in
-- incident_metrics_daily, on its UTC start day and severity level (`none` when
-- it has no severity). Returns the (day, level) cells whose counts disagree.

with

fct_counts as (

    select
        started_date as date_day,
        coalesce(severity_level, 'none') as severity_level,
        count(*) as incidents_started

    from {{ ref('fct_incidents') }}
    where is_countable and started_date is not null
    group by started_date, coalesce(severity_level, 'none')

),

daily_counts as (

    select
        date_day,
        severity_level,
        incidents_started

    from {{ ref('incident_metrics_daily') }}
    where incidents_started > 0

),

compared as (

    select
        coalesce(fct_counts.date_day, daily_counts.date_day) as date_day,
        coalesce(fct_counts.severity_level, daily_counts.severity_level) as severity_level,
        fct_counts.incidents_started as fct_incidents_started,
        daily_counts.incidents_started as daily_incidents_started

    from fct_counts
    full outer join daily_counts
        on
            fct_counts.date_day = daily_counts.date_day
            and fct_counts.severity_level = daily_counts.severity_level

)

select * from compared
where
    fct_incidents_started is null
    or daily_incidents_started is null
    or fct_incidents_started != daily_incidents_started
