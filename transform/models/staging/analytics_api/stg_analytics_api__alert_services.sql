with

list_items as (

    {{ dlt_list_items(
        parent=source('analytics_api', 'alerts'),
        parent_key='alert_id',
        items=('analytics_api', 'alerts__attributes__services'),
        columns=['id', 'name', 'slug'],
    ) }}

),

renamed as (

    select
        alert_id,
        id as service_id,
        name as service_name,
        slug as service_slug,
        _dlt_list_idx as list_index,
        _dlt_id as dlt_id

    from list_items

)

select * from renamed
