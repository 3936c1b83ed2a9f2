with

latest_environments as (

    {{ latest_scd2_version(source('analytics_api', 'environments')) }}

),

renamed as (

    select
        id as environment_id,
        attributes__name as environment_name,
        attributes__slug as environment_slug,
        attributes__description as description,
        attributes__managed_by as managed_by,
        attributes__color as color,
        attributes__position as position,
        {{ scd2_columns() }}

    from latest_environments

)

select * from renamed
