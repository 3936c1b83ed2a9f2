-- A table, not a view: two marts and a dozen tests read it, and as a view each of them
-- re-ran its holistic medians over every incident-owner pair, the node that ran out of
-- DuckDB memory at 1,000,000 incidents (docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

incident_teams as (

    select * from {{ ref('bridge_incident_teams') }}

),

incident_services as (

    select * from {{ ref('bridge_incident_services') }}

),

follow_through as (

    select * from {{ ref('incident_follow_through') }}

),

incident_owners as (

    -- Every team and every service an incident lists: an incident counts once for each.
    select
        'team' as owner_type,
        team_id as owner_id,
        incident_id

    from incident_teams

    union all

    select
        'service' as owner_type,
        service_id as owner_id,
        incident_id

    from incident_services

),

owner_incidents as (

    select
        incident_owners.owner_type,
        incident_owners.owner_id,
        cast({{ dbt.date_trunc('month', 'incidents.started_at') }} as date) as month_start,
        incidents.incident_id,
        incidents.is_resolved,
        incidents.is_sla_breached,
        incidents.minutes_to_resolve,
        incidents.minutes_to_mitigate,
        coalesce(follow_through.has_retrospective, false) as has_retrospective,
        coalesce(follow_through.follow_ups_total - follow_through.follow_ups_cancelled, 0)
            as follow_ups,
        coalesce(follow_through.follow_ups_done, 0) as follow_ups_done

    from incidents
    inner join incident_owners
        on incidents.incident_id = incident_owners.incident_id
    left join follow_through
        on incidents.incident_id = follow_through.incident_id
    where incidents.is_countable and incidents.started_at is not null

),

monthly as (

    select
        owner_type,
        owner_id,
        month_start,
        count(*) as incidents,
        count(case when is_resolved then 1 end) as incidents_resolved,
        percentile_cont(0.5) within group (order by minutes_to_resolve)
            as median_minutes_to_resolve,
        count(case when is_sla_breached then 1 end) as incidents_sla_breached,
        count(is_sla_breached) as incidents_resolved_with_sla_target,
        percentile_cont(0.5) within group (order by minutes_to_mitigate)
            as median_minutes_to_mitigate,
        cast(sum(follow_ups) as bigint) as follow_ups,
        cast(sum(follow_ups_done) as bigint) as follow_ups_done,
        count(case when is_resolved and has_retrospective then 1 end)
            as incidents_resolved_with_retrospective

    from owner_incidents
    group by owner_type, owner_id, month_start

),

final as (

    select
        owner_type,
        owner_id,
        month_start,
        incidents,
        incidents_resolved,
        median_minutes_to_resolve,
        incidents_sla_breached,
        incidents_resolved_with_sla_target,
        cast(incidents_sla_breached as double precision)
        / nullif(incidents_resolved_with_sla_target, 0) as sla_breach_rate,
        median_minutes_to_mitigate,
        follow_ups,
        follow_ups_done,
        cast(follow_ups_done as double precision)
        / nullif(follow_ups, 0) as follow_up_completion_rate,
        incidents_resolved_with_retrospective,
        cast(incidents_resolved_with_retrospective as double precision)
        / nullif(incidents_resolved, 0) as retrospective_rate

    from monthly

)

select * from final
