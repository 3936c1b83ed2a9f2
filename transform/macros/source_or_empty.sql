{#
    A child table of the raw source, or an empty relation with the given columns
    when the pipeline has not created it. dlt creates a child table (a list such as
    `alerts.attributes.services`) only once some record has an item in that list:
    on a young account no alert may name a service yet. `columns` maps each column
    the model reads to its type, e.g. {'value': dbt.type_bigint()}.
#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier,
    ) is none -%}
        (
            select
            {%- for name, data_type in columns.items() %}
                cast(null as {{ data_type }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
