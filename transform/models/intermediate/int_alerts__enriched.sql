-- A view (the intermediate default): `fct_alerts` is its only reader and builds it once.
-- As a table it was written twice per build and published twice, 3M rows at 1,000,000
-- incidents (docs/performance.md).
with

alerts as (

    select * from {{ ref('stg_analytics_api__alerts') }}

),

alert_urgencies as (

    select * from {{ ref('stg_analytics_api__alert_urgencies') }}

),

alert_sources as (

    select * from {{ ref('stg_analytics_api__alert_sources') }}

),

alert_services as (

    select * from {{ ref('stg_analytics_api__alert_services') }}

),

alert_incidents as (

    select * from {{ ref('int_alert_incidents__flagged') }}

),

source_names as (

    -- Alerts name only their source's type: a name is given when exactly one alert
    -- source of that type exists upstream.
    select
        source_type,
        max(alert_source_name) as alert_source_name

    from alert_sources
    where not is_deleted
    group by source_type
    having count(*) = 1

),

service_rollup as (

    select
        alert_id,
        count(*) as service_count

    from alert_services
    group by alert_id

),

incident_rollup as (

    select
        alert_id,
        count(*) as linked_incident_count,
        max(case when is_became_incident then incident_id end) as incident_id

    from alert_incidents
    group by alert_id

),

joined as (

    select
        alerts.*,
        source_names.alert_source_name,
        alert_urgencies.alert_urgency_name as catalog_urgency_name,
        coalesce(service_rollup.service_count, 0) as service_count,
        coalesce(incident_rollup.linked_incident_count, 0) as linked_incident_count,
        incident_rollup.incident_id

    from alerts
    left join source_names
        on alerts.source = source_names.source_type
    left join alert_urgencies
        on alerts.alert_urgency_id = alert_urgencies.alert_urgency_id
    left join service_rollup
        on alerts.alert_id = service_rollup.alert_id
    left join incident_rollup
        on alerts.alert_id = incident_rollup.alert_id

),

final as (

    -- Text columns are cast to the warehouse's string type (`text` on PostgreSQL,
    -- where staging yields `varchar`): the incremental `fct_alerts` is created with its
    -- contract's `text` columns, and its new rows must have the same types or
    -- `on_schema_change: fail` stops it.
    select
        cast(alert_id as {{ dbt.type_string() }}) as alert_id,
        cast(short_id as {{ dbt.type_string() }}) as short_id,
        cast(summary as {{ dbt.type_string() }}) as summary,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(alert_source_name as {{ dbt.type_string() }}) as alert_source_name,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(alert_urgency_id as {{ dbt.type_string() }}) as alert_urgency_id,
        cast(
            coalesce(catalog_urgency_name, alert_urgency_name) as {{ dbt.type_string() }}
        ) as alert_urgency_name,
        case noise
            when 'noise' then true
            when 'not_noise' then false
        end as is_noise,
        is_group_leader_alert,
        cast(group_leader_alert_id as {{ dbt.type_string() }}) as group_leader_alert_id,
        service_count,
        linked_incident_count,
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        incident_id is not null as became_incident,
        created_at,
        updated_at,
        started_at,
        cast({{ dbt.date_trunc('day', 'started_at') }} as date) as started_date,
        ended_at,
        {{ minutes_between('started_at', 'ended_at') }} as minutes_open,
        (ended_at is null and coalesce(status, '') <> 'resolved') as is_open,
        cast(dlt_load_id as {{ dbt.type_string() }}) as dlt_load_id

    from joined

)

select * from final
