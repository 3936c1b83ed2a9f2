{#
    A select yielding one row per calendar day, column `date_day` (date),
    from `start_date` to `end_date` inclusive. Both arguments are SQL
    expressions evaluated against `bounds_relation` (a CTE or relation that
    returns exactly one row), so the spine can follow the data without a
    compile-time query. Returns no rows when the bounds are NULL.
#}
{% macro date_spine(bounds_relation, start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'incident_analytics')(bounds_relation, start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(bounds_relation, start_date, end_date) -%}
    select cast(series.day_ts as date) as date_day
    from {{ bounds_relation }} as bounds
    cross join lateral generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as series (day_ts)
{%- endmacro %}

{% macro duckdb__date_spine(bounds_relation, start_date, end_date) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval 1 day
    )) as date) as date_day
    from {{ bounds_relation }} as bounds
    where {{ start_date }} is not null and {{ end_date }} is not null
{%- endmacro %}
