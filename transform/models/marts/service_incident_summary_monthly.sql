with

incident_months as (

    select * from {{ ref('int_incident_months__rolled_up_by_team_and_service') }}

),

services as (

    select * from {{ ref('dim_services') }}

),

service_months as (

    select * from incident_months
    where owner_type = 'service'

),

final as (

    select
        cast(service_months.owner_id as {{ dbt.type_string() }}) as service_id,
        cast(services.service_name as {{ dbt.type_string() }}) as service_name,
        service_months.month_start,
        service_months.incidents,
        service_months.incidents_resolved,
        service_months.median_minutes_to_mitigate,
        service_months.median_minutes_to_resolve,
        service_months.follow_ups,
        service_months.follow_ups_done,
        service_months.follow_up_completion_rate,
        service_months.incidents_resolved_with_retrospective,
        service_months.retrospective_rate

    from service_months
    inner join services
        on service_months.owner_id = services.service_id

)

select * from final
