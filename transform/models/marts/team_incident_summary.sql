with

incidents as (

    select * from {{ ref('fct_incidents') }}

),

incident_teams as (

    select * from {{ ref('bridge_incident_teams') }}

),

teams as (

    select * from {{ ref('dim_teams') }}

),

follow_through as (

    select * from {{ ref('incident_follow_through') }}

),

team_incidents as (

    select
        incident_teams.team_id,
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
    inner join incident_teams
        on incidents.incident_id = incident_teams.incident_id
    left join follow_through
        on incidents.incident_id = follow_through.incident_id
    where incidents.is_countable and incidents.started_at is not null

),

monthly as (

    select
        team_id,
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

    from team_incidents
    group by team_id, month_start

),

final as (

    select
        cast(monthly.team_id as {{ dbt.type_string() }}) as team_id,
        cast(teams.team_name as {{ dbt.type_string() }}) as team_name,
        monthly.month_start,
        monthly.incidents,
        monthly.incidents_resolved,
        monthly.median_minutes_to_resolve,
        monthly.incidents_sla_breached,
        monthly.incidents_resolved_with_sla_target,
        cast(monthly.incidents_sla_breached as double precision)
        / nullif(monthly.incidents_resolved_with_sla_target, 0) as sla_breach_rate,
        teams.dashboard_count as dashboards_owned,
        monthly.median_minutes_to_mitigate,
        monthly.follow_ups,
        monthly.follow_ups_done,
        cast(monthly.follow_ups_done as double precision)
        / nullif(monthly.follow_ups, 0) as follow_up_completion_rate,
        monthly.incidents_resolved_with_retrospective,
        cast(monthly.incidents_resolved_with_retrospective as double precision)
        / nullif(monthly.incidents_resolved, 0) as retrospective_rate

    from monthly
    inner join teams
        on monthly.team_id = teams.team_id

)

select * from final
