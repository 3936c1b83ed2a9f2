with

incident_services as (

    select * from {{ ref('stg_analytics_api__incident_services') }}

),

final as (

    select
        incident_id,
        service_id,
        service_name,
        service_slug,
        list_index

    from incident_services

)

select * from final
