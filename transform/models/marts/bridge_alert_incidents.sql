with

alert_incidents as (

    select * from {{ ref('int_alert_incidents__flagged') }}

),

final as (

    select
        alert_id,
        incident_id,
        list_index,
        is_incident_loaded,
        is_incident_deleted,
        is_became_incident

    from alert_incidents

)

select * from final
