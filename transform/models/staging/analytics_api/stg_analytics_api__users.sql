with

latest_users as (

    {{ latest_scd2_version(source('analytics_api', 'users')) }}

),

renamed as (

    select
        id as user_id,
        attributes__email as email,
        attributes__first_name as first_name,
        attributes__last_name as last_name,
        attributes__full_name as full_name,
        attributes__time_zone as time_zone,
        {{ scd2_columns() }}

    from latest_users

)

select * from renamed
