with

source as (

    select * from {{ source('analytics_api', 'incidents') }}

),

renamed as (

    select
        id as incident_id,
        attributes__sequential_id as sequential_id,
        attributes__title as title,
        attributes__slug as slug,
        attributes__summary as summary,
        attributes__kind as kind,
        attributes__status as status,
        attributes__private as is_private,
        attributes__source as source,
        attributes__url as url,
        attributes__labels as labels,
        attributes__severity__data__id as severity_id,
        attributes__severity__data__attributes__name as severity_name,
        attributes__severity__data__attributes__slug as severity_slug,
        attributes__severity__data__attributes__severity as severity_level,
        attributes__severity__data__attributes__color as severity_color,
        attributes__severity__data__attributes__position as severity_position,
        {{ to_utc_timestamp('attributes__created_at') }} as created_at,
        {{ to_utc_timestamp('attributes__updated_at') }} as updated_at,
        {{ to_utc_timestamp('attributes__started_at') }} as started_at,
        {{ to_utc_timestamp('attributes__detected_at') }} as detected_at,
        {{ to_utc_timestamp('attributes__acknowledged_at') }} as acknowledged_at,
        {{ to_utc_timestamp('attributes__mitigated_at') }} as mitigated_at,
        {{ to_utc_timestamp('attributes__resolved_at') }} as resolved_at,
        {{ to_utc_timestamp('attributes__closed_at') }} as closed_at,
        {{ to_utc_timestamp('attributes__cancelled_at') }} as cancelled_at,
        _dlt_load_id as dlt_load_id,
        _dlt_id as dlt_id

    from source

)

select * from renamed
