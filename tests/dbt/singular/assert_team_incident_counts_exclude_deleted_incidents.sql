-- dim_teams.incident_count counts the incidents (any kind) listing the team that are
-- not deleted upstream. Recomputed from the bridge and the fact, which keep deleted
-- incidents as rows. Returns the teams whose counts differ.

with

bridge_counts as (

    select
        incident_teams.team_id,
        count(distinct incident_teams.incident_id) as incident_count

    from {{ ref('bridge_incident_teams') }} as incident_teams
    inner join {{ ref('fct_incidents') }} as incidents
        on incident_teams.incident_id = incidents.incident_id
    where not incidents.is_deleted
    group by incident_teams.team_id

),

dim_counts as (

    select
        team_id,
        incident_count

    from {{ ref('dim_teams') }}

),

compared as (

    select
        dim_counts.team_id,
        dim_counts.incident_count as dim_incident_count,
        coalesce(bridge_counts.incident_count, 0) as bridge_incident_count

    from dim_counts
    left join bridge_counts
        on dim_counts.team_id = bridge_counts.team_id

)

select * from compared
where dim_incident_count != bridge_incident_count
