with

latest_services as (

    {{ latest_scd2_version(source('analytics_api', 'services')) }}

),

renamed as (

    select
        id as service_id,
        attributes__name as service_name,
        attributes__slug as service_slug,
        attributes__description as description,
        attributes__public_description as public_description,
        attributes__managed_by as managed_by,
        attributes__color as color,
        attributes__position as position,
        attributes__backstage_id as backstage_id,
        attributes__pagerduty_id as pagerduty_id,
        attributes__github_repository_name as github_repository_name,
        attributes__kubernetes_deployment_name as kubernetes_deployment_name,
        attributes__alert_urgency_id as alert_urgency_id,
        attributes__escalation_policy_id as escalation_policy_id,
        {{ scd2_columns() }}

    from latest_services

)

select * from renamed
