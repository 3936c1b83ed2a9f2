{#
    Fails for every row where `column_name` is below zero. NULLs pass; pair
    with `not_null` when the column is required.
#}
{% test not_negative(model, column_name) %}

    select {{ column_name }} as negative_value
    from {{ model }}
    where {{ column_name }} < 0

{% endtest %}
