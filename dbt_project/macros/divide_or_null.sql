{#- numerator / denominator as a double; null when the denominator is 0 (or null).
    Used for shares of a seller's targets, which are null when SAT = 0. -#}
{% macro divide_or_null(numerator, denominator) -%}
    case
        when {{ denominator }} <> 0
            then cast({{ numerator }} as {{ type_double() }})
            / cast({{ denominator }} as {{ type_double() }})
    end
{%- endmacro %}
