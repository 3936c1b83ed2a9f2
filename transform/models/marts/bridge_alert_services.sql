with

alert_services as (

    select * from {{ ref('stg_analytics_api__alert_services') }}

),

final as (

    select
        alert_id,
        service_id,
        service_name,
        service_slug,
        list_index

    from alert_services

)

select * from final
