-- A table, not a view: two marts, a rollup and 19 tests read it, and as a view each of
-- them re-ran its joins over every action item (at 1,000,000 incidents its tests alone
-- took 22 s; docs/performance.md).
{{
    config(
        materialized='table',
    )
}}

with

follow_ups as (

    select * from {{ ref('stg_analytics_api__action_items') }}

),

latest_load as (

    select * from {{ ref('int_loads__latest_completed') }}

),

deletion_flags as (

    select * from {{ ref('int_incidents__deletions_flagged') }}

),

joined as (

    select
        follow_ups.follow_up_id,
        follow_ups.incident_id,
        deletion_flags.incident_id is not null as is_incident_loaded,
        coalesce(deletion_flags.is_deleted, false) as is_incident_deleted,
        follow_ups.summary,
        follow_ups.kind,
        follow_ups.priority,
        follow_ups.status,
        follow_ups.due_date,
        follow_ups.assignee_user_id,
        follow_ups.creator_user_id,
        follow_ups.jira_issue_key,
        follow_ups.created_at,
        follow_ups.updated_at,
        -- The API has no completion time: a done item's `updated_at` is when it was
        -- marked done (a later edit of a done item would move it).
        case when follow_ups.status = 'done' then follow_ups.updated_at end as completed_at,
        coalesce(follow_ups.status in ('open', 'in_progress'), false) as is_open,
        coalesce(follow_ups.status = 'done', false) as is_done,
        latest_load.as_of,
        latest_load.as_of_date,
        follow_ups.is_deleted,
        follow_ups.valid_to as deleted_found_at

    from follow_ups
    cross join latest_load
    left join deletion_flags
        on follow_ups.incident_id = deletion_flags.incident_id

),

flagged as (

    select
        follow_up_id,
        incident_id,
        is_incident_loaded,
        is_incident_deleted,
        summary,
        kind,
        priority,
        status,
        due_date,
        assignee_user_id,
        creator_user_id,
        jira_issue_key,
        created_at,
        updated_at,
        completed_at,
        is_open,
        is_done,
        -- Due strictly before the as-of day: an item due on that day is not overdue yet.
        coalesce(is_open and due_date < as_of_date, false) as is_overdue,
        {{ minutes_between('created_at', 'completed_at') }} / 1440.0 as days_to_complete,
        not is_deleted and not is_incident_deleted as is_countable,
        is_deleted,
        deleted_found_at,
        as_of

    from joined

)

select * from flagged
