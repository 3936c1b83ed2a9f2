with

loads as (

    select * from {{ ref('stg_analytics_api__loads') }}

),

latest_completed as (

    -- The as-of time of every load-relative flag (such as an overdue follow-up): when
    -- the newest completed dlt load finished. A rebuild without a new load keeps it.
    select
        max(loaded_at) as as_of,
        max(dlt_load_id) as dlt_load_id

    from loads
    where is_completed

),

final as (

    select
        as_of,
        cast(as_of as date) as as_of_date,
        dlt_load_id

    from latest_completed

)

select * from final
