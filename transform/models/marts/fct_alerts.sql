with

alerts as (

    select * from {{ ref('int_alerts__enriched') }}

),

final as (

    select
        alert_id,
        short_id,
        summary,
        source,
        alert_source_name,
        status,
        alert_urgency_id,
        alert_urgency_name,
        is_noise,
        is_group_leader_alert,
        group_leader_alert_id,
        service_count,
        linked_incident_count,
        incident_id,
        became_incident,
        created_at,
        updated_at,
        started_at,
        started_date,
        ended_at,
        minutes_open,
        is_open,
        dlt_load_id

    from alerts

)

select * from final
