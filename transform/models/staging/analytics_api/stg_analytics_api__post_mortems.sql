with

latest_post_mortems as (

    {{ latest_scd2_version(source('analytics_api', 'post_mortems')) }}

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
        {{ scd2_columns() }}

    from latest_post_mortems

)

select * from renamed
