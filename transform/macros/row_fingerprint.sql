{#
    One value per row of the relation aliased `alias` that changes when any of its
    columns does (a 64-bit hash on DuckDB, an md5 of the row's text elsewhere). Two
    relations with the same columns are compared row for row on (key, fingerprint)
    pairs, so the comparison holds two narrow columns in its hash tables instead of
    every column: `except` over whole rows of `fct_incidents` took 8.6 s at 1,000,000
    incidents, over fingerprints 0.7 s (docs/performance.md). `alias` must not also be
    the name of one of the relation's columns.
#}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'incident_analytics')(alias)) }}
{%- endmacro %}

{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro duckdb__row_fingerprint(alias) -%}
    hash({{ alias }})
{%- endmacro %}
