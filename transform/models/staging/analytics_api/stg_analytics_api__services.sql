with

source as (

    select * from {{ source('analytics_api', 'services') }}

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
