with

latest_teams as (

    {{ latest_scd2_version(source('analytics_api', 'teams')) }}

),

renamed as (

    select
        id as team_id,
        attributes__name as team_name,
        attributes__slug as team_slug,
        attributes__description as description,
        attributes__managed_by as managed_by,
        attributes__color as color,
        attributes__position as position,
        attributes__pagerduty_id as pagerduty_id,
        attributes__alerts_email_enabled as is_alerts_email_enabled,
        attributes__alert_urgency_id as alert_urgency_id,
        attributes__incident_broadcast_enabled as is_incident_broadcast_enabled,
        attributes__auto_add_members_when_attached as is_auto_add_members_when_attached,
        attributes__auto_add_members_scope as auto_add_members_scope,
        {{ scd2_columns() }}

    from latest_teams

)

select * from renamed
