with

retrospectives as (

    select * from {{ ref('stg_analytics_api__post_mortems') }}

),

rolled_up as (

    -- The API has no publication time: a published retrospective's `updated_at` is
    -- when it was published (a later edit would move it). With several
    -- retrospectives for one incident, the first publication counts.
    select
        incident_id,
        count(*) as retrospective_count,
        count(case when status = 'published' then 1 end) as published_retrospective_count,
        min(created_at) as retrospective_created_at,
        min(case when status = 'published' then updated_at end) as retrospective_published_at

    from retrospectives
    where not is_deleted and incident_id is not null
    group by incident_id

)

select * from rolled_up
