with

follow_through as (

    select * from {{ ref('int_incidents__follow_through_joined') }}

),

final as (

    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        is_countable,
        is_resolved,
        resolved_at,
        has_retrospective,
        is_retrospective_published,
        retrospective_created_at,
        retrospective_published_at,
        days_to_published_retrospective,
        follow_ups_total,
        follow_ups_open,
        follow_ups_overdue,
        follow_ups_done,
        follow_ups_cancelled,
        as_of

    from follow_through

)

select * from final
