with

follow_ups as (

    select * from {{ ref('int_follow_ups__overdue_flagged') }}

),

final as (

    select
        cast(follow_up_id as {{ dbt.type_string() }}) as follow_up_id,
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        is_incident_loaded,
        is_incident_deleted,
        cast(summary as {{ dbt.type_string() }}) as summary,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(priority as {{ dbt.type_string() }}) as priority,
        cast(status as {{ dbt.type_string() }}) as status,
        due_date,
        cast(assignee_user_id as {{ dbt.type_string() }}) as assignee_user_id,
        cast(creator_user_id as {{ dbt.type_string() }}) as creator_user_id,
        cast(jira_issue_key as {{ dbt.type_string() }}) as jira_issue_key,
        created_at,
        updated_at,
        completed_at,
        is_open,
        is_done,
        is_overdue,
        days_to_complete,
        is_countable,
        is_deleted,
        deleted_found_at,
        as_of

    from follow_ups

)

select * from final
