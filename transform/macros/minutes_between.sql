{#
    Exact, fractional minutes from `start_ts` to `end_ts` (both UTC
    `timestamp`s): the difference of their epoch seconds divided by 60.0.
    Unlike `datediff`, which counts boundaries crossed, 90 seconds is 1.5.
    NULL when either side is NULL; negative when `end_ts` precedes `start_ts`.
#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minutes_between', 'incident_analytics')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minutes_between(start_ts, end_ts) -%}
    cast(extract(epoch from (({{ end_ts }}) - ({{ start_ts }}))) / 60.0 as double precision)
{%- endmacro %}

{% macro duckdb__minutes_between(start_ts, end_ts) -%}
    cast((epoch_us({{ end_ts }}) - epoch_us({{ start_ts }})) / 60000000.0 as double)
{%- endmacro %}
