{#
    Convert a `timestamp with time zone` to a UTC wall-clock `timestamp`
    (without time zone), independent of the session time zone. Staging
    models expose every timestamp in this form.
    On DuckDB from the instant's epoch microseconds: plain arithmetic, where
    `timezone('UTC', ...)` goes through ICU's calendar for every value (0.69 s
    against 0.05 s for the four timestamps of 3M alerts, read by every model and
    test on the staging views; same values).
#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'incident_analytics')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    cast(({{ column }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    make_timestamp(epoch_us(cast({{ column }} as timestamptz)))
{%- endmacro %}
