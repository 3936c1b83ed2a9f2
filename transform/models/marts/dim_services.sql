with

catalog_services as (

    select * from {{ ref('stg_analytics_api__services') }}

),

service_owner_teams as (

    select * from {{ ref('stg_analytics_api__service_owner_teams') }}

),

incident_services as (

    select * from {{ ref('stg_analytics_api__incident_services') }}

),

incidents as (

    select * from {{ ref('stg_analytics_api__incidents') }}

),

deletion_flags as (

    select * from {{ ref('int_incidents__deletions_flagged') }}

),

service_ids as (

    select service_id from catalog_services
    union
    select service_id from incident_services

),

incident_service_mentions as (

    select
        incident_services.service_id,
        incident_services.service_name,
        incident_services.service_slug,
        row_number() over (
            partition by incident_services.service_id
            order by incidents.updated_at desc, incident_services.incident_id desc
        ) as mention_recency

    from incident_services
    inner join incidents
        on incident_services.incident_id = incidents.incident_id

),

incident_service_names as (

    select
        service_id,
        service_name,
        service_slug

    from incident_service_mentions
    where mention_recency = 1

),

incident_counts as (

    -- Incidents deleted upstream keep their service links but are not counted.
    select
        incident_services.service_id,
        count(distinct incident_services.incident_id) as incident_count

    from incident_services
    inner join deletion_flags
        on incident_services.incident_id = deletion_flags.incident_id
    where not deletion_flags.is_deleted
    group by incident_services.service_id

),

ranked_owners as (

    select
        service_id,
        team_id,
        row_number() over (partition by service_id order by list_index) as owner_rank

    from service_owner_teams

),

owners as (

    -- The primary owner is the first team listed in the service's `owner_group_ids`.
    select
        service_id,
        max(case when owner_rank = 1 then team_id end) as primary_owner_team_id,
        count(distinct team_id) as owner_team_count

    from ranked_owners
    group by service_id

),

final as (

    select
        cast(service_ids.service_id as {{ dbt.type_string() }}) as service_id,
        cast(
            coalesce(catalog_services.service_name, incident_service_names.service_name)
            as {{ dbt.type_string() }}
        ) as service_name,
        cast(
            coalesce(catalog_services.service_slug, incident_service_names.service_slug)
            as {{ dbt.type_string() }}
        ) as service_slug,
        catalog_services.service_id is not null as is_in_catalog,
        coalesce(catalog_services.is_deleted, false) as is_deleted,
        cast(catalog_services.description as {{ dbt.type_string() }}) as description,
        cast(catalog_services.managed_by as {{ dbt.type_string() }}) as managed_by,
        cast(owners.primary_owner_team_id as {{ dbt.type_string() }}) as primary_owner_team_id,
        coalesce(owners.owner_team_count, 0) as owner_team_count,
        coalesce(incident_counts.incident_count, 0) as incident_count,
        catalog_services.created_at,
        catalog_services.updated_at

    from service_ids
    left join catalog_services
        on service_ids.service_id = catalog_services.service_id
    left join incident_service_names
        on service_ids.service_id = incident_service_names.service_id
    left join owners
        on service_ids.service_id = owners.service_id
    left join incident_counts
        on service_ids.service_id = incident_counts.service_id

)

select * from final
