with

source as (

    select * from {{ source_or_empty(
        'analytics_api',
        'teams__attributes__user_ids',
        {
            'value': dbt.type_bigint(),
            '_dlt_parent_id': dbt.type_string(),
            '_dlt_list_idx': dbt.type_bigint(),
            '_dlt_id': dbt.type_string(),
        },
    ) }}

),

teams as (

    select
        id as team_id,
        _dlt_id as teams_dlt_id,
        row_number() over (
            partition by id
            order by _dlt_valid_from desc, _dlt_load_id desc
        ) as version_recency

    from {{ source('analytics_api', 'teams') }}

),

latest_teams as (

    select * from teams
    where version_recency = 1

),

renamed as (

    select
        latest_teams.team_id,
        cast(source.value as {{ dbt.type_string() }}) as user_id,
        source._dlt_list_idx as list_index,
        source._dlt_id as dlt_id

    from source
    inner join latest_teams
        on source._dlt_parent_id = latest_teams.teams_dlt_id

)

select * from renamed
