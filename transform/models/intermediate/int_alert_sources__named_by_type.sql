-- Alerts name only their source's type. A type gets a name when exactly one alert
-- source of that type exists upstream (not deleted). A view: `int_alerts__enriched`
-- names alerts with it, and the incremental `fct_alerts` finds the alerts whose name
-- it would change.
with

alert_sources as (

    select * from {{ ref('stg_analytics_api__alert_sources') }}

),

named as (

    select
        source_type,
        max(alert_source_name) as alert_source_name

    from alert_sources
    where not is_deleted
    group by source_type
    having count(*) = 1

)

select * from named
