with

source as (

    select * from {{ source_or_empty(
        'analytics_api',
        'services__attributes__owner_group_ids',
        {
            'value': dbt.type_string(),
            '_dlt_parent_id': dbt.type_string(),
            '_dlt_list_idx': dbt.type_bigint(),
            '_dlt_id': dbt.type_string(),
        },
    ) }}

),

services as (

    select
        id as service_id,
        _dlt_id as services_dlt_id,
        row_number() over (
            partition by id
            order by _dlt_valid_from desc, _dlt_load_id desc
        ) as version_recency

    from {{ source('analytics_api', 'services') }}

),

latest_services as (

    select * from services
    where version_recency = 1

),

renamed as (

    select
        latest_services.service_id,
        cast(source.value as {{ dbt.type_string() }}) as team_id,
        source._dlt_list_idx as list_index,
        source._dlt_id as dlt_id

    from source
    inner join latest_services
        on source._dlt_parent_id = latest_services.services_dlt_id

)

select * from renamed
