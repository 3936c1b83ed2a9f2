-- A table, not a view: its 7 tests each re-ran the rollup over every action item
-- (12.7 s at 1,000,000 incidents; docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

follow_ups as (

    select * from {{ ref('int_follow_ups__overdue_flagged') }}

),

rolled_up as (

    select
        incident_id,
        count(*) as follow_ups_total,
        count(case when is_open then 1 end) as follow_ups_open,
        count(case when is_overdue then 1 end) as follow_ups_overdue,
        count(case when is_done then 1 end) as follow_ups_done,
        count(case when status = 'cancelled' then 1 end) as follow_ups_cancelled

    from follow_ups
    where is_countable and incident_id is not null
    group by incident_id

)

select * from rolled_up
