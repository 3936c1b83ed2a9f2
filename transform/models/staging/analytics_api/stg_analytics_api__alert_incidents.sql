with

list_items as (

    {{ dlt_list_items(
        parent=source('analytics_api', 'alerts'),
        parent_key='alert_id',
        items=('analytics_api', 'alerts__relationships__incidents__data'),
        columns=['id'],
    ) }}

),

renamed as (

    select
        alert_id,
        id as incident_id,
        _dlt_list_idx as list_index,
        _dlt_id as dlt_id

    from list_items

)

select * from renamed
