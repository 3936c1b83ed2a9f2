with

incident_teams as (

    select * from {{ ref('stg_analytics_api__incident_teams') }}

),

incidents as (

    select
        incident_id,
        updated_at

    from {{ ref('stg_analytics_api__incidents') }}

),

ranked as (

    select
        incident_teams.incident_id,
        incident_teams.team_id,
        incident_teams.team_name,
        incident_teams.team_slug,
        incident_teams.list_index,
        incidents.updated_at as incident_updated_at,
        row_number() over (
            partition by incident_teams.incident_id
            order by incident_teams.list_index
        ) = 1 as is_primary,
        row_number() over (
            partition by incident_teams.team_id
            order by incidents.updated_at desc, incident_teams.incident_id desc
        ) = 1 as is_latest_mention_of_team

    from incident_teams
    inner join incidents
        on incident_teams.incident_id = incidents.incident_id

)

select * from ranked
