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

    existing_loads as (

        -- The newest dlt load already in this table. dlt load ids are fixed-width
        -- epoch-second strings, so text order is load order.
        select coalesce(max(dlt_load_id), '') as max_dlt_load_id
        from {{ this }}

    ),

{% endif %}

incidents as (

    select enriched.*

    from enriched
    {% if is_incremental() %}
        -- Only incidents (re)loaded by dlt after the newest load already in this table.
        cross join existing_loads
        where enriched.dlt_load_id > existing_loads.max_dlt_load_id
    {% endif %}

),

final as (

    select * from incidents

)

select * from final
