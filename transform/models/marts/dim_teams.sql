with

catalog_teams as (

    select * from {{ ref('stg_analytics_api__teams') }}

),

team_members as (

    select * from {{ ref('stg_analytics_api__team_members') }}

),

service_owner_teams as (

    select * from {{ ref('stg_analytics_api__service_owner_teams') }}

),

services as (

    select * from {{ ref('stg_analytics_api__services') }}

),

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

    select team_id from catalog_teams
    union
    select team_id from incident_teams
    union
    select team_id from dashboards
    where team_id is not null

),

incident_team_names as (

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

member_counts as (

    select
        team_id,
        count(distinct user_id) as member_count

    from team_members
    group by team_id

),

owned_service_counts as (

    -- Services that exist in the catalog (not deleted) and list the team as an owner.
    select
        service_owner_teams.team_id,
        count(distinct service_owner_teams.service_id) as services_owned_count

    from service_owner_teams
    inner join services
        on service_owner_teams.service_id = services.service_id
    where not services.is_deleted
    group by service_owner_teams.team_id

),

final as (

    select
        cast(team_ids.team_id as {{ dbt.type_string() }}) as team_id,
        cast(
            coalesce(catalog_teams.team_name, incident_team_names.team_name)
            as {{ dbt.type_string() }}
        ) as team_name,
        cast(
            coalesce(catalog_teams.team_slug, incident_team_names.team_slug)
            as {{ dbt.type_string() }}
        ) as team_slug,
        coalesce(incident_counts.incident_count, 0) as incident_count,
        coalesce(dashboard_counts.dashboard_count, 0) as dashboard_count,
        coalesce(dashboard_counts.deleted_dashboard_count, 0) as deleted_dashboard_count,
        catalog_teams.team_id is not null as is_in_catalog,
        coalesce(catalog_teams.is_deleted, false) as is_deleted,
        cast(catalog_teams.description as {{ dbt.type_string() }}) as description,
        cast(catalog_teams.managed_by as {{ dbt.type_string() }}) as managed_by,
        coalesce(member_counts.member_count, 0) as member_count,
        coalesce(owned_service_counts.services_owned_count, 0) as services_owned_count,
        catalog_teams.created_at,
        catalog_teams.updated_at

    from team_ids
    left join catalog_teams
        on team_ids.team_id = catalog_teams.team_id
    left join incident_team_names
        on team_ids.team_id = incident_team_names.team_id
    left join incident_counts
        on team_ids.team_id = incident_counts.team_id
    left join dashboard_counts
        on team_ids.team_id = dashboard_counts.team_id
    left join member_counts
        on team_ids.team_id = member_counts.team_id
    left join owned_service_counts
        on team_ids.team_id = owned_service_counts.team_id

)

select * from final
