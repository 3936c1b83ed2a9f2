with

alerts as (

    select * from {{ ref('int_alerts__enriched') }}

)

select * from alerts
