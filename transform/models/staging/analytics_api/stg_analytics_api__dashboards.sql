with

source as (

    select * from {{ source('analytics_api', 'dashboards') }}

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
        id as dashboard_id,
        cast(attributes__team_id as {{ dbt.type_string() }}) as team_id,
        cast(attributes__user_id as {{ dbt.type_string() }}) as user_id,
        attributes__name as dashboard_name,
        attributes__description as description,
        attributes__owner as owner_type,
        attributes__public as is_public,
        attributes__range as time_range,
        attributes__period as period,
        attributes__auto_refresh as is_auto_refresh,
        attributes__color as color,
        attributes__icon as icon,
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
