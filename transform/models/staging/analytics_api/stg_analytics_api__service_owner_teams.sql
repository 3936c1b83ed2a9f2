with

list_items as (

    {{ dlt_list_items(
        parent=source('analytics_api', 'services'),
        parent_key='service_id',
        items=('analytics_api', 'services__attributes__owner_group_ids'),
        columns=['value'],
        latest_parent_version=true,
    ) }}

),

renamed as (

    select
        service_id,
        cast(value as {{ dbt.type_string() }}) as team_id,
        _dlt_list_idx as list_index,
        _dlt_id as dlt_id

    from list_items

)

select * from renamed
