with

source as (

    select * from {{ source('analytics_api', 'post_mortems') }}

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
        id as retrospective_id,
        relationships__incident__data__id as incident_id,
        attributes__title as title,
        attributes__status as status,
        attributes__url as url,
        attributes__content is not null as has_content,
        {{ to_utc_timestamp('attributes__started_at') }} as incident_started_at,
        {{ to_utc_timestamp('attributes__mitigated_at') }} as incident_mitigated_at,
        {{ to_utc_timestamp('attributes__resolved_at') }} as incident_resolved_at,
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
