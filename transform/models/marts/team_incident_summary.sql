with

incident_months as (

    select * from {{ ref('int_incident_months__rolled_up_by_team_and_service') }}

),

teams as (

    select * from {{ ref('dim_teams') }}

),

team_months as (

    select * from incident_months
    where owner_type = 'team'

),

final as (

    select
        cast(team_months.owner_id as {{ dbt.type_string() }}) as team_id,
        cast(teams.team_name as {{ dbt.type_string() }}) as team_name,
        team_months.month_start,
        team_months.incidents,
        team_months.incidents_resolved,
        team_months.median_minutes_to_resolve,
        team_months.incidents_sla_breached,
        team_months.incidents_resolved_with_sla_target,
        team_months.sla_breach_rate,
        teams.dashboard_count as dashboards_owned,
        team_months.median_minutes_to_mitigate,
        team_months.follow_ups,
        team_months.follow_ups_done,
        team_months.follow_up_completion_rate,
        team_months.incidents_resolved_with_retrospective,
        team_months.retrospective_rate

    from team_months
    inner join teams
        on team_months.owner_id = teams.team_id

)

select * from final
