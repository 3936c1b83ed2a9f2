with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

incident_services as (

    select * from {{ ref('bridge_incident_services') }}

),

services as (

    select * from {{ ref('dim_services') }}

),

follow_through as (

    select * from {{ ref('incident_follow_through') }}

),

service_incidents as (

    select
        incident_services.service_id,
        cast({{ dbt.date_trunc('month', 'incidents.started_at') }} as date) as month_start,
        incidents.incident_id,
        incidents.is_resolved,
        incidents.minutes_to_mitigate,
        incidents.minutes_to_resolve,
        coalesce(follow_through.has_retrospective, false) as has_retrospective,
        coalesce(follow_through.follow_ups_total - follow_through.follow_ups_cancelled, 0)
            as follow_ups,
        coalesce(follow_through.follow_ups_done, 0) as follow_ups_done

    from incidents
    inner join incident_services
        on incidents.incident_id = incident_services.incident_id
    left join follow_through
        on incidents.incident_id = follow_through.incident_id
    where incidents.is_countable and incidents.started_at is not null

),

monthly as (

    select
        service_id,
        month_start,
        count(*) as incidents,
        count(case when is_resolved then 1 end) as incidents_resolved,
        percentile_cont(0.5) within group (order by minutes_to_mitigate)
            as median_minutes_to_mitigate,
        percentile_cont(0.5) within group (order by minutes_to_resolve)
            as median_minutes_to_resolve,
        cast(sum(follow_ups) as bigint) as follow_ups,
        cast(sum(follow_ups_done) as bigint) as follow_ups_done,
        count(case when is_resolved and has_retrospective then 1 end)
            as incidents_resolved_with_retrospective

    from service_incidents
    group by service_id, month_start

),

final as (

    select
        cast(monthly.service_id as {{ dbt.type_string() }}) as service_id,
        cast(services.service_name as {{ dbt.type_string() }}) as service_name,
        monthly.month_start,
        monthly.incidents,
        monthly.incidents_resolved,
        monthly.median_minutes_to_mitigate,
        monthly.median_minutes_to_resolve,
        monthly.follow_ups,
        monthly.follow_ups_done,
        cast(monthly.follow_ups_done as double precision)
        / nullif(monthly.follow_ups, 0) as follow_up_completion_rate,
        monthly.incidents_resolved_with_retrospective,
        cast(monthly.incidents_resolved_with_retrospective as double precision)
        / nullif(monthly.incidents_resolved, 0) as retrospective_rate

    from monthly
    inner join services
        on monthly.service_id = services.service_id

)

select * from final
