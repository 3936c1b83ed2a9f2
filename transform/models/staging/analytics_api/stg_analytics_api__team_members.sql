with

list_items as (

    {{ dlt_list_items(
        parent=source('analytics_api', 'teams'),
        parent_key='team_id',
        items=('analytics_api', 'teams__attributes__user_ids'),
        columns=['value'],
        latest_parent_version=true,
    ) }}

),

renamed as (

    select
        team_id,
        cast(value as {{ dbt.type_string() }}) as user_id,
        _dlt_list_idx as list_index,
        _dlt_id as dlt_id

    from list_items

)

select * from renamed
