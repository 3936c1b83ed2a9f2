with

source as (

    select * from {{ source('analytics_api', 'action_items') }}

),

versions as (

    select
        *,
        row_number() over (
            partition by id
            order by _dlt_valid_from desc, _dlt_load_id desc
        ) as version_recency

    from source

),

latest_versions as (

    select * from versions
    where version_recency = 1

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
        {{ to_utc_timestamp('attributes__created_at') }} as created_at,
        {{ to_utc_timestamp('attributes__updated_at') }} as updated_at,
        {{ to_utc_timestamp('_dlt_valid_from') }} as valid_from,
        {{ to_utc_timestamp('_dlt_valid_to') }} as valid_to,
        _dlt_valid_to is not null as is_deleted,
        _dlt_load_id as dlt_load_id,
        _dlt_id as dlt_id

    from latest_versions

)

select * from renamed
