{#
    Use custom schemas verbatim (`staging`, not `main_staging`) and append the
    optional `schema_suffix` var, so a write-audit-publish run can build into
    `marts__build`-style schemas. Nodes without a custom schema use the
    target schema unchanged.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ var('schema_suffix', '') | trim }}
    {%- endif -%}
{%- endmacro %}
