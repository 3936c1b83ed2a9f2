with

incident_teams as (

    select * from {{ ref('int_incident_teams__ranked') }}

),

final as (

    select
        incident_id,
        team_id,
        team_name,
        list_index,
        is_primary

    from incident_teams

)

select * from final
