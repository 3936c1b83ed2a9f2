with

list_items as (

    {{ dlt_list_items(
        parent=source('analytics_api', 'incidents'),
        parent_key='incident_id',
        items=('analytics_api', 'incidents__attributes__services'),
        columns=['data__id', 'data__attributes__name', 'data__attributes__slug'],
    ) }}

),

renamed as (

    select
        incident_id,
        data__id as service_id,
        data__attributes__name as service_name,
        data__attributes__slug as service_slug,
        _dlt_list_idx as list_index,
        _dlt_id as dlt_id

    from list_items

)

select * from renamed
