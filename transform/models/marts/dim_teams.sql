with

incident_teams as (

    select * from {{ ref('int_incident_teams__ranked') }}

),

dashboards as (

    select * from {{ ref('stg_analytics_api__dashboards') }}

),

deletion_flags as (

    select * from {{ ref('int_incidents__deletions_flagged') }}

),

team_ids as (

    select team_id from incident_teams
    union
    select team_id from dashboards
    where team_id is not null

),

team_names as (

    select
        team_id,
        team_name,
        team_slug

    from incident_teams
    where is_latest_mention_of_team

),

incident_counts as (

    -- Incidents deleted upstream keep their team links but are not counted.
    select
        incident_teams.team_id,
        count(distinct incident_teams.incident_id) as incident_count

    from incident_teams
    inner join deletion_flags
        on incident_teams.incident_id = deletion_flags.incident_id
    where not deletion_flags.is_deleted
    group by incident_teams.team_id

),

dashboard_counts as (

    select
        team_id,
        count(case when not is_deleted then 1 end) as dashboard_count,
        count(case when is_deleted then 1 end) as deleted_dashboard_count

    from dashboards
    group by team_id

),

final as (

    select
        team_ids.team_id,
        team_names.team_name,
        team_names.team_slug,
        coalesce(incident_counts.incident_count, 0) as incident_count,
        coalesce(dashboard_counts.dashboard_count, 0) as dashboard_count,
        coalesce(dashboard_counts.deleted_dashboard_count, 0) as deleted_dashboard_count

    from team_ids
    left join team_names
        on team_ids.team_id = team_names.team_id
    left join incident_counts
        on team_ids.team_id = incident_counts.team_id
    left join dashboard_counts
        on team_ids.team_id = dashboard_counts.team_id

)

select * from final
