with

alert_incidents as (

    select * from {{ ref('stg_analytics_api__alert_incidents') }}

),

deletion_flags as (

    select * from {{ ref('int_incidents__deletions_flagged') }}

),

flagged as (

    -- An incident counts as what the alert became only when it is loaded here and
    -- not deleted upstream (`int_incidents__deletions_flagged` has one row per loaded
    -- incident).
    select
        alert_incidents.alert_id,
        alert_incidents.incident_id,
        alert_incidents.list_index,
        deletion_flags.incident_id is not null as is_incident_loaded,
        coalesce(deletion_flags.is_deleted, false) as is_incident_deleted,
        coalesce(not deletion_flags.is_deleted, false) as is_live

    from alert_incidents
    left join deletion_flags
        on alert_incidents.incident_id = deletion_flags.incident_id

),

ranked as (

    -- Live incidents first, each group in list order.
    select
        *,
        row_number() over (
            partition by alert_id
            order by case when is_live then 0 else 1 end, list_index
        ) as link_rank

    from flagged

),

final as (

    select
        alert_id,
        incident_id,
        list_index,
        is_incident_loaded,
        is_incident_deleted,
        (is_live and link_rank = 1) as is_became_incident

    from ranked

)

select * from final
