with

users as (

    select * from {{ ref('stg_analytics_api__users') }}

),

team_members as (

    select * from {{ ref('stg_analytics_api__team_members') }}

),

teams as (

    select * from {{ ref('stg_analytics_api__teams') }}

),

follow_ups as (

    select * from {{ ref('int_follow_ups__overdue_flagged') }}

),

team_counts as (

    -- Teams that exist in the catalog (not deleted) and list the user as a member.
    select
        team_members.user_id,
        count(distinct team_members.team_id) as team_count

    from team_members
    inner join teams
        on team_members.team_id = teams.team_id
    where not teams.is_deleted
    group by team_members.user_id

),

follow_up_counts as (

    select
        assignee_user_id as user_id,
        count(*) as follow_ups_assigned,
        count(case when is_open then 1 end) as follow_ups_open,
        count(case when is_overdue then 1 end) as follow_ups_overdue,
        count(case when is_done then 1 end) as follow_ups_done

    from follow_ups
    where is_countable and assignee_user_id is not null
    group by assignee_user_id

),

final as (

    select
        cast(users.user_id as {{ dbt.type_string() }}) as user_id,
        cast(users.full_name as {{ dbt.type_string() }}) as full_name,
        cast(users.first_name as {{ dbt.type_string() }}) as first_name,
        cast(users.last_name as {{ dbt.type_string() }}) as last_name,
        cast(users.email as {{ dbt.type_string() }}) as email,
        cast(users.time_zone as {{ dbt.type_string() }}) as time_zone,
        users.is_deleted,
        coalesce(team_counts.team_count, 0) as team_count,
        coalesce(follow_up_counts.follow_ups_assigned, 0) as follow_ups_assigned,
        coalesce(follow_up_counts.follow_ups_open, 0) as follow_ups_open,
        coalesce(follow_up_counts.follow_ups_overdue, 0) as follow_ups_overdue,
        coalesce(follow_up_counts.follow_ups_done, 0) as follow_ups_done,
        users.created_at,
        users.updated_at

    from users
    left join team_counts
        on users.user_id = team_counts.user_id
    left join follow_up_counts
        on users.user_id = follow_up_counts.user_id

)

select * from final
