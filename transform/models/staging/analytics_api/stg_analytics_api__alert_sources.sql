with

latest_alert_sources as (

    {{ latest_scd2_version(source('analytics_api', 'alert_sources')) }}

),

renamed as (

    -- `secret` (the source's webhook secret) is deliberately not selected.
    select
        id as alert_source_id,
        attributes__name as alert_source_name,
        attributes__source_type as source_type,
        attributes__status as status,
        attributes__enabled as is_enabled,
        attributes__alert_urgency_id as alert_urgency_id,
        attributes__deduplicate_alerts_by_key as is_deduplicating_by_key,
        {{ scd2_columns() }}

    from latest_alert_sources

)

select * from renamed
