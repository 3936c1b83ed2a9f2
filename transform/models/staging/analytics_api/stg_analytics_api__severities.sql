with

latest_severities as (

    {{ latest_scd2_version(source('analytics_api', 'severities')) }}

),

renamed as (

    select
        id as severity_id,
        attributes__name as severity_name,
        attributes__slug as severity_slug,
        attributes__description as description,
        attributes__severity as severity_level,
        attributes__color as color,
        attributes__position as position,
        {{ scd2_columns() }}

    from latest_severities

)

select * from renamed
