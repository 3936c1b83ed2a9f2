with

source as (

    select * from {{ source('analytics_api', 'alert_sources') }}

),

versions as (

    select
        *,
        row_number() over (
            partition by id
            order by _dlt_valid_from desc, _dlt_load_id desc
        ) as version_recency

    from source

),

latest_versions as (

    select * from versions
    where version_recency = 1

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
        {{ to_utc_timestamp('attributes__created_at') }} as created_at,
        {{ to_utc_timestamp('attributes__updated_at') }} as updated_at,
        {{ to_utc_timestamp('_dlt_valid_from') }} as valid_from,
        {{ to_utc_timestamp('_dlt_valid_to') }} as valid_to,
        _dlt_valid_to is not null as is_deleted,
        _dlt_load_id as dlt_load_id,
        _dlt_id as dlt_id

    from latest_versions

)

select * from renamed
