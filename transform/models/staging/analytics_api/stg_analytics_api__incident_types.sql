with

latest_incident_types as (

    {{ latest_scd2_version(source('analytics_api', 'incident_types')) }}

),

renamed as (

    select
        id as incident_type_id,
        attributes__name as incident_type_name,
        attributes__slug as incident_type_slug,
        attributes__description as description,
        attributes__color as color,
        attributes__position as position,
        {{ scd2_columns() }}

    from latest_incident_types

)

select * from renamed
