with

dashboards as (

    select * from {{ ref('stg_analytics_api__dashboards') }}

),

final as (

    select
        dashboard_id,
        dashboard_name,
        description,
        team_id,
        user_id,
        owner_type,
        is_public,
        time_range,
        period,
        is_auto_refresh,
        color,
        icon,
        created_at,
        updated_at,
        valid_from,
        valid_to,
        is_deleted

    from dashboards

)

select * from final
