with

latest_functionalities as (

    {{ latest_scd2_version(source('analytics_api', 'functionalities')) }}

),

renamed as (

    select
        id as functionality_id,
        attributes__name as functionality_name,
        attributes__slug as functionality_slug,
        attributes__description as description,
        attributes__public_description as public_description,
        attributes__managed_by as managed_by,
        attributes__color as color,
        attributes__position as position,
        {{ scd2_columns() }}

    from latest_functionalities

)

select * from renamed
