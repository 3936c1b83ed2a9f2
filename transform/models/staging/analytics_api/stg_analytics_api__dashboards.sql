with

latest_dashboards as (

    {{ latest_scd2_version(source('analytics_api', 'dashboards')) }}

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
        {{ scd2_columns() }}

    from latest_dashboards

)

select * from renamed
