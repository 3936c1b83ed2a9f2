{#
    Fails for every row where the boolean SQL `expression` is not true
    (false or NULL). Usable as a model-level test, or on a column (the
    expression is then prefixed with the column name, e.g. on
    `minutes_to_resolve` with `expression: ">= 0"`). Narrow the rows checked
    with dbt's standard `config: where:`.
#}
{% test expression_is_true(model, expression, column_name=none) %}

    {%- set full_expression = (column_name ~ ' ' ~ expression) if column_name else expression %}

    select *
    from {{ model }}
    where not coalesce(({{ full_expression }}), false)

{% endtest %}
