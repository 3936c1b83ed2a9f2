-- depends_on: {{ ref('stg_analytics_api__alerts') }}
-- depends_on: {{ ref('stg_analytics_api__alert_urgencies') }}
-- depends_on: {{ ref('int_alert_sources__named_by_type') }}
-- depends_on: {{ ref('int_alert_incidents__rolled_up_to_alerts') }}
-- Incremental: at 1,000,000 incidents rebuilding all 3M alerts took 16-21 s of an hourly
-- run's build (docs/performance.md). A run rewrites only the alerts whose row can have
-- changed since this table was built; `fct_alerts_matches_full_recompute` checks
-- the result against `int_alerts__enriched`, which recomputes every alert.
{{
    config(
        materialized='incremental',
        unique_key='alert_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

enriched as (

    select * from {{ ref('int_alerts__enriched') }}

),

{% if is_incremental() %}

    alert_urgencies as (

        select * from {{ ref('stg_analytics_api__alert_urgencies') }}

    ),

    source_names as (

        select * from {{ ref('int_alert_sources__named_by_type') }}

    ),

    incident_rollup as (

        select * from {{ ref('int_alert_incidents__rolled_up_to_alerts') }}

    ),

    staged_alerts as (

        select * from {{ ref('stg_analytics_api__alerts') }}

    ),

    existing_alerts as (

        select * from {{ this }}

    ),

    existing_loads as (

        -- The newest dlt load already in this table. dlt load ids are fixed-width
        -- epoch-second strings, so text order is load order.
        select coalesce(max(dlt_load_id), '') as max_dlt_load_id
        from existing_alerts

    ),

    reloaded as (

        -- (Re)loaded by dlt since: the alert's own fields, services and incident links.
        select staged_alerts.alert_id

        from staged_alerts
        cross join existing_loads
        where staged_alerts.dlt_load_id > existing_loads.max_dlt_load_id

    ),

    current_incidents as (

        select
            alert_id,
            incident_id

        from incident_rollup

    ),

    existing_incidents as (

        select
            alert_id,
            incident_id

        from existing_alerts
        where linked_incident_count > 0

    ),

    relinked as (

        -- The incident an alert became changes when a linked incident is loaded,
        -- deleted or restored, without the alert itself being reloaded. (An alert gains
        -- or loses links only by being reloaded.)
        select * from existing_incidents
        except
        select * from current_incidents

    ),

    renamed_source as (

        -- The one alert source of a type was added, renamed, deleted or joined by another.
        select existing_alerts.alert_id

        from existing_alerts
        left join source_names
            on existing_alerts.source = source_names.source_type
        where existing_alerts.alert_source_name is distinct from source_names.alert_source_name

    ),

    renamed_urgency as (

        -- The catalog renamed an urgency (or first listed it). Alerts whose catalog
        -- urgency has no name fall back to the alert's own name: recomputed every run.
        select existing_alerts.alert_id

        from existing_alerts
        inner join alert_urgencies
            on existing_alerts.alert_urgency_id = alert_urgencies.alert_urgency_id
        where
            alert_urgencies.alert_urgency_name is null
            or existing_alerts.alert_urgency_name is distinct from alert_urgencies.alert_urgency_name

    ),

    changed as (

        select alert_id from reloaded
        union
        select alert_id from relinked
        union
        select alert_id from renamed_source
        union
        select alert_id from renamed_urgency

    ),

{% endif %}

alerts as (

    select enriched.*

    from enriched
    {% if is_incremental() %}
        where enriched.alert_id in (select changed.alert_id from changed)
    {% endif %}

)

select * from alerts
