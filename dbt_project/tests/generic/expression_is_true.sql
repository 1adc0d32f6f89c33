{#- Every row satisfies the boolean SQL expression. As in dbt_utils, a row where the
    expression is null passes: combine with not_null where null is an error. -#}
{% test expression_is_true(model, expression) %}

select *

from {{ model }}

where not ({{ expression }})

{% endtest %}
