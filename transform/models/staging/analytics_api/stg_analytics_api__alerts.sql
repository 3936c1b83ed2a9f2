with

source as (

    select * from {{ source('analytics_api', 'alerts') }}

),

renamed as (

    select
        id as alert_id,
        attributes__short_id as short_id,
        attributes__summary as summary,
        attributes__description as description,
        attributes__source as source,
        attributes__status as status,
        attributes__noise as noise,
        -- The flat id and the nested urgency's id name the same urgency; either may be
        -- left out by the API.
        coalesce(attributes__alert_urgency_id, attributes__alert_urgency__id)
            as alert_urgency_id,
        attributes__alert_urgency__name as alert_urgency_name,
        attributes__is_group_leader_alert as is_group_leader_alert,
        attributes__group_leader_alert_id as group_leader_alert_id,
        attributes__external_id as external_id,
        attributes__external_url as external_url,
        attributes__notification_target_type as notification_target_type,
        attributes__notification_target_id as notification_target_id,
        attributes__deduplication_key as deduplication_key,
        attributes__url as url,
        attributes__labels as labels,
        attributes__data as payload,
        {{ to_utc_timestamp('attributes__started_at') }} as started_at,
        {{ to_utc_timestamp('attributes__ended_at') }} as ended_at,
        {{ to_utc_timestamp('attributes__created_at') }} as created_at,
        {{ to_utc_timestamp('attributes__updated_at') }} as updated_at,
        _dlt_load_id as dlt_load_id,
        _dlt_id as dlt_id

    from source

)

select * from renamed
