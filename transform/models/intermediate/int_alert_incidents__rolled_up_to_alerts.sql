-- A view: `int_alerts__enriched` joins it to every alert, and the incremental
-- `fct_alerts` compares it with the incident each stored alert became (an incident
-- loaded, deleted or restored changes it without the alert being reloaded).
with

alert_incidents as (

    select * from {{ ref('int_alert_incidents__flagged') }}

),

rolled_up as (

    select
        alert_id,
        count(*) as linked_incident_count,
        max(case when is_became_incident then incident_id end) as incident_id

    from alert_incidents
    group by alert_id

)

select * from rolled_up
