-- Staging keeps every current raw row: one incident per raw incident, one
-- dashboard per distinct raw dashboard id (all scd2 versions collapse into the
-- latest), every child row whose parent incident exists, and one deletion per
-- raw deletion row. Returns the tables whose counts differ.

with

expected as (

    select
        'incidents' as entity,
        count(*) as row_count
    from {{ source('analytics_api', 'incidents') }}

    union all

    select
        'dashboards' as entity,
        count(distinct id) as row_count
    from {{ source('analytics_api', 'dashboards') }}

    union all

    select
        'services' as entity,
        count(*) as row_count
    from {{ source_or_empty(
        'analytics_api',
        'incidents__attributes__services',
        {'_dlt_root_id': dbt.type_string()},
    ) }} as child_rows
    where
        exists (
            select 1 as has_parent
            from {{ source('analytics_api', 'incidents') }} as parents
            where parents._dlt_id = child_rows._dlt_root_id
        )

    union all

    select
        'environments' as entity,
        count(*) as row_count
    from {{ source_or_empty(
        'analytics_api',
        'incidents__attributes__environments',
        {'_dlt_root_id': dbt.type_string()},
    ) }} as child_rows
    where
        exists (
            select 1 as has_parent
            from {{ source('analytics_api', 'incidents') }} as parents
            where parents._dlt_id = child_rows._dlt_root_id
        )

    union all

    select
        'groups' as entity,
        count(*) as row_count
    from {{ source_or_empty(
        'analytics_api',
        'incidents__attributes__groups',
        {'_dlt_root_id': dbt.type_string()},
    ) }} as child_rows
    where
        exists (
            select 1 as has_parent
            from {{ source('analytics_api', 'incidents') }} as parents
            where parents._dlt_id = child_rows._dlt_root_id
        )

    union all

    select
        'incident_deletions' as entity,
        count(*) as row_count
    from {{ source('analytics_api', 'incident_deletions') }}

),

actual as (

    select
        'incidents' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__incidents') }}

    union all

    select
        'dashboards' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__dashboards') }}

    union all

    select
        'services' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__incident_services') }}

    union all

    select
        'environments' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__incident_environments') }}

    union all

    select
        'groups' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__incident_teams') }}

    union all

    select
        'incident_deletions' as entity,
        count(*) as row_count
    from {{ ref('stg_analytics_api__incident_deletions') }}

)

select
    expected.entity,
    expected.row_count as expected_rows,
    actual.row_count as actual_rows

from expected
left join actual
    on expected.entity = actual.entity
where actual.row_count is null or expected.row_count != actual.row_count
