-- depends_on: {{ ref('int_incidents__deletions_flagged') }}
{{
    config(
        materialized='incremental',
        unique_key='incident_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

enriched as (

    select * from {{ ref('int_incidents__enriched') }}

),

{% if is_incremental() %}

    deletion_flags as (

        select * from {{ ref('int_incidents__deletions_flagged') }}

    ),

    existing_incidents as (

        select * from {{ this }}

    ),

    existing_loads as (

        -- The newest dlt load already in this table. dlt load ids are fixed-width
        -- epoch-second strings, so text order is load order.
        select coalesce(max(dlt_load_id), '') as max_dlt_load_id
        from existing_incidents

    ),

    current_deletions as (

        select
            incident_id,
            deleted_found_at

        from deletion_flags
        where is_deleted

    ),

    existing_deletions as (

        select
            incident_id,
            deleted_found_at

        from existing_incidents
        where is_deleted

    ),

    newly_deleted as (

        -- Found deleted (or found at another time) by a check since the last run,
        -- without the incident's row being reloaded.
        select * from current_deletions
        except
        select * from existing_deletions

    ),

    no_longer_deleted as (

        select * from existing_deletions
        except
        select * from current_deletions

    ),

    changed_deletions as (

        select incident_id from newly_deleted
        union
        select incident_id from no_longer_deleted

    ),

{% endif %}

incidents as (

    select enriched.*

    from enriched
    {% if is_incremental() %}
        -- Only incidents (re)loaded by dlt after the newest load already in this table,
        -- and incidents whose deletion flag changed since.
        cross join existing_loads
        left join changed_deletions
            on enriched.incident_id = changed_deletions.incident_id
        where
            enriched.dlt_load_id > existing_loads.max_dlt_load_id
            or changed_deletions.incident_id is not null
    {% endif %}

)

select * from incidents
