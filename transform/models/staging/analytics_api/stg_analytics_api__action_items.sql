with

latest_action_items as (

    {{ latest_scd2_version(source('analytics_api', 'action_items')) }}

),

renamed as (

    select
        id as follow_up_id,
        relationships__incident__data__id as incident_id,
        attributes__summary as summary,
        attributes__description as description,
        attributes__kind as kind,
        attributes__priority as priority,
        attributes__status as status,
        -- A calendar day (YYYY-MM-DD); only its first 10 characters are read, so a
        -- timestamp-shaped value still gives its day.
        cast(substr(attributes__due_date, 1, 10) as date) as due_date,
        cast(attributes__assigned_to__id as {{ dbt.type_string() }}) as assignee_user_id,
        cast(attributes__created_by__id as {{ dbt.type_string() }}) as creator_user_id,
        attributes__jira_issue_key as jira_issue_key,
        attributes__jira_issue_url as jira_issue_url,
        {{ scd2_columns() }}

    from latest_action_items

)

select * from renamed
