{#
    The latest version of each record of a dlt `scd2` table: a `select` of every
    column of `relation` (the staging model's own `source()`, passed in so that
    `source()` stays in staging) for the version of each `id` with the newest
    `_dlt_valid_from`, the newest load winning a tie, plus the helper column
    `version_recency` (always 1). A record gone from the full scan keeps its retired
    last version, so it stays visible with `_dlt_valid_to` set (see `scd2_columns`).
    The versions are ranked on the few columns the ranking needs and the winners joined
    back on (`_dlt_id`, `_dlt_load_id`, `_dlt_valid_from`): ranking whole rows sorted
    every column (the action items' staging took 9 s instead of 4.5 s at 1,000,000
    incidents, docs/performance.md). `_dlt_id` alone is not unique in an `scd2` table
    (it hashes the row's content, which more than one load can store: seen in the rerun
    after a failed build, tests/reliability/test_write_audit_publish.py).
#}
{% macro latest_scd2_version(relation) -%}
    select
        versions.*,
        ranked.version_recency

    from {{ relation }} as versions
    inner join (
        select
            _dlt_id,
            _dlt_load_id,
            _dlt_valid_from,
            row_number() over (
                partition by id
                order by _dlt_valid_from desc, _dlt_load_id desc
            ) as version_recency

        from {{ relation }}
    ) as ranked
        on
            versions._dlt_id = ranked._dlt_id
            and versions._dlt_load_id = ranked._dlt_load_id
            and versions._dlt_valid_from = ranked._dlt_valid_from
    where ranked.version_recency = 1
{%- endmacro %}

{#
    The columns every staging model of a dlt `scd2` table ends with, read from its
    latest version (`latest_scd2_version`): the record's own `created_at` and
    `updated_at` and the version's `valid_from`/`valid_to` (as UTC `timestamp`s),
    `is_deleted` (the version is retired: the record is gone from the full scan, or
    `also_deleted_when`, a condition such as a soft-delete flag, holds) and the dlt
    load and row ids. Emits a trailing column list without a trailing comma.
#}
{% macro scd2_columns(also_deleted_when=none) -%}
    {{ to_utc_timestamp('attributes__created_at') }} as created_at,
    {{ to_utc_timestamp('attributes__updated_at') }} as updated_at,
    {{ to_utc_timestamp('_dlt_valid_from') }} as valid_from,
    {{ to_utc_timestamp('_dlt_valid_to') }} as valid_to,
    {%- if also_deleted_when is none %}
    _dlt_valid_to is not null as is_deleted,
    {%- else %}
    (_dlt_valid_to is not null or {{ also_deleted_when }}) as is_deleted,
    {%- endif %}
    _dlt_load_id as dlt_load_id,
    _dlt_id as dlt_id
{%- endmacro %}
