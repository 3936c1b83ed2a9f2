{#
    The items of a dlt child table (a list on each parent record, such as
    `alerts.attributes.services`), each with its parent's `id` as `parent_key`:
    every column of the child table plus that id. `items` names the child table as
    (source name, table name); it is read with `source_or_empty`, since dlt creates
    a child table only once some record has an item, and `columns` lists the item
    columns the model reads (typed as text in that empty stand-in, next to dlt's
    `_dlt_list_idx` and `_dlt_id`). `parent` is the parent table's `source()`:
    - a `merge` root (`latest_parent_version=false`): items join it on `_dlt_root_id`;
    - an `scd2` table (`latest_parent_version=true`): items join the parent's latest
      version (`latest_scd2_version`) on `_dlt_parent_id`, so an older version's
      list is left out.
#}
{% macro dlt_list_items(parent, parent_key, items, columns, latest_parent_version=false) -%}
    {%- set link_column = '_dlt_parent_id' if latest_parent_version else '_dlt_root_id' -%}
    {%- set item_columns = {} -%}
    {%- for column in columns -%}
        {%- do item_columns.update({column: dbt.type_string()}) -%}
    {%- endfor -%}
    {%- do item_columns.update({
        link_column: dbt.type_string(),
        '_dlt_list_idx': dbt.type_bigint(),
        '_dlt_id': dbt.type_string(),
    }) -%}
    select
        parents.id as {{ parent_key }},
        list_items.*

    from {{ source_or_empty(items[0], items[1], item_columns) }} as list_items
    {%- if latest_parent_version %}
    inner join (
        {{ latest_scd2_version(parent) }}
    ) as parents
    {%- else %}
    inner join {{ parent }} as parents
    {%- endif %}
        on list_items.{{ link_column }} = parents._dlt_id
{%- endmacro %}
