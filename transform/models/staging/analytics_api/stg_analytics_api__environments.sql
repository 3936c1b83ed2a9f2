with

source as (

    select * from {{ source('analytics_api', 'environments') }}

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

    select
        id as environment_id,
        attributes__name as environment_name,
        attributes__slug as environment_slug,
        attributes__description as description,
        attributes__managed_by as managed_by,
        attributes__color as color,
        attributes__position as position,
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
