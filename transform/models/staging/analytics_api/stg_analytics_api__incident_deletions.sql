with

source as (

    select * from {{ source('analytics_api', 'incident_deletions') }}

),

renamed as (

    select
        id as incident_id,
        {{ to_utc_timestamp('found_deleted_at') }} as found_deleted_at,
        _dlt_load_id as dlt_load_id

    from source

)

select * from renamed
