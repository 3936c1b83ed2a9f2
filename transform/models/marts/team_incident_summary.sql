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

team_incidents as (

    select
        incident_teams.team_id,
        cast({{ dbt.date_trunc('month', 'incidents.started_at') }} as date) as month_start,
        incidents.incident_id,
        incidents.is_resolved,
        incidents.is_sla_breached,
        incidents.minutes_to_resolve

    from incidents
    inner join incident_teams
        on incidents.incident_id = incident_teams.incident_id
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
        count(is_sla_breached) as incidents_resolved_with_sla_target

    from team_incidents
    group by team_id, month_start

),

final as (

    select
        monthly.team_id,
        teams.team_name,
        monthly.month_start,
        monthly.incidents,
        monthly.incidents_resolved,
        monthly.median_minutes_to_resolve,
        monthly.incidents_sla_breached,
        monthly.incidents_resolved_with_sla_target,
        cast(monthly.incidents_sla_breached as double precision)
        / nullif(monthly.incidents_resolved_with_sla_target, 0) as sla_breach_rate,
        teams.dashboard_count as dashboards_owned

    from monthly
    inner join teams
        on monthly.team_id = teams.team_id

)

select * from final
