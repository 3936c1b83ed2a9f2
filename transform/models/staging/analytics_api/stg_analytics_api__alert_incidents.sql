with

source as (

    select * from {{ source_or_empty(
        'analytics_api',
        'alerts__relationships__incidents__data',
        {
            'id': dbt.type_string(),
            '_dlt_root_id': dbt.type_string(),
            '_dlt_list_idx': dbt.type_bigint(),
            '_dlt_id': dbt.type_string(),
        },
    ) }}

),

alerts as (

    select
        id as alert_id,
        _dlt_id as alert_dlt_id

    from {{ source('analytics_api', 'alerts') }}

),

renamed as (

    select
        alerts.alert_id,
        source.id as incident_id,
        source._dlt_list_idx as list_index,
        source._dlt_id as dlt_id

    from source
    inner join alerts
        on source._dlt_root_id = alerts.alert_dlt_id

)

select * from renamed
