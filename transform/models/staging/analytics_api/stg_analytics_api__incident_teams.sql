with

source as (

    select * from {{ source_or_empty(
        'analytics_api',
        'incidents__attributes__groups',
        {
            'data__id': dbt.type_string(),
            'data__attributes__name': dbt.type_string(),
            'data__attributes__slug': dbt.type_string(),
            '_dlt_root_id': dbt.type_string(),
            '_dlt_list_idx': dbt.type_bigint(),
            '_dlt_id': dbt.type_string(),
        },
    ) }}

),

incidents as (

    select
        id as incident_id,
        _dlt_id as incident_dlt_id

    from {{ source('analytics_api', 'incidents') }}

),

renamed as (

    select
        incidents.incident_id,
        source.data__id as team_id,
        source.data__attributes__name as team_name,
        source.data__attributes__slug as team_slug,
        source._dlt_list_idx as list_index,
        source._dlt_id as dlt_id

    from source
    inner join incidents
        on source._dlt_root_id = incidents.incident_dlt_id

)

select * from renamed
