with

alert_incidents as (

    select * from {{ ref('int_alert_incidents__flagged') }}

)

select * from alert_incidents
