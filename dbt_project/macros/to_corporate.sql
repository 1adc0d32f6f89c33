{#- CONTRACT.md section 3: an amount in its own currency, converted to the corporate
    currency first and rounded once to cents (halves away from zero).
    The product must be exact before the rounding, and each engine types it its own way,
    hence one implementation per adapter. -#}
{% macro to_corporate(amount, rate) -%}
    {{ return(adapter.dispatch('to_corporate')(amount, rate)) }}
{%- endmacro %}

{#- DuckDB (and PostgreSQL, whose numeric is exact anyway): the amount is widened before
    the product, as DuckDB types decimal(18,6) * decimal(18,10) as decimal(18,16), which
    overflows from 100 up. -#}
{% macro default__to_corporate(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Spark types decimal(18,6) * decimal(18,10) as decimal(37,16): exact, no overflow.
    Widening to 38 digits would make Spark cut the product to 6 decimals first. -#}
{% macro spark__to_corporate(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(18, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
