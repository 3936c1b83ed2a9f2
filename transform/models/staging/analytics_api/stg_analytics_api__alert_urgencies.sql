with

latest_alert_urgencies as (

    {{ latest_scd2_version(source('analytics_api', 'alert_urgencies')) }}

),

renamed as (

    select
        id as alert_urgency_id,
        attributes__name as alert_urgency_name,
        attributes__description as description,
        attributes__position as urgency_position,
        attributes__urgency as urgency_slug,
        attributes__color as color,
        {{ to_utc_timestamp('attributes__deleted_at') }} as deleted_at,
        -- Deleted: gone from the full scan (latest version retired) or soft-deleted upstream.
        {{ scd2_columns(also_deleted_when='attributes__deleted_at is not null') }}

    from latest_alert_urgencies

)

select * from renamed
