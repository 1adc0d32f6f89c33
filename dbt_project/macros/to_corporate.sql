{#- CONTRACT.md section 3: an amount in its own currency, converted to the corporate
    currency first and rounded once to cents (halves away from zero).
    The amount is widened before the product: DuckDB types decimal(18,6) * decimal(18,10)
    as decimal(18,16), which overflows from 100 up. -#}
{% macro to_corporate(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
