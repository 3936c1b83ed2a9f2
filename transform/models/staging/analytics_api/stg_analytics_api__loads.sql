with

source as (

    select * from {{ source('analytics_api', '_dlt_loads') }}

),

renamed as (

    select
        load_id as dlt_load_id,
        schema_name,
        status as load_status,
        status = 0 as is_completed,
        {{ to_utc_timestamp('inserted_at') }} as loaded_at

    from source

)

select * from renamed
