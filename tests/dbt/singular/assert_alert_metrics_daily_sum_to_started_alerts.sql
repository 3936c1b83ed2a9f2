-- Every alert with a `started_at` is counted exactly once in `alert_metrics_daily`,
-- on its UTC start day, source and urgency. Returns the cells whose counts differ.

with

alerts as (

    select * from {{ ref('fct_alerts') }}

),

alert_metrics_daily as (

    select * from {{ ref('alert_metrics_daily') }}

),

expected as (

    select
        started_date as date_day,
        coalesce(source, 'none') as source,
        coalesce(alert_urgency_id, 'none') as alert_urgency_id,
        count(*) as alerts

    from alerts
    where started_date is not null
    group by started_date, coalesce(source, 'none'), coalesce(alert_urgency_id, 'none')

),

actual as (

    select
        date_day,
        source,
        alert_urgency_id,
        alerts

    from alert_metrics_daily
    where alerts > 0

),

mismatches as (

    select * from expected
    except
    select * from actual

    union all

    select * from actual
    except
    select * from expected

)

select * from mismatches
