{#- docs/contract.md section 3: an amount in its own currency, converted to the corporate
    currency first and rounded once to cents (halves away from zero).
    The product must be exact before the rounding, and each engine types it its own way,
    hence one implementation per adapter. -#}
{% macro to_corporate(amount, rate) -%}
    {{ return(adapter.dispatch('to_corporate')(amount, rate)) }}
{%- endmacro %}

{#- PostgreSQL, whose numeric is exact, and DuckDB's exact fallback: the amount is widened
    before the product, as DuckDB types decimal(18,6) * decimal(18,10) as decimal(18,16),
    which overflows from 100 up. -#}
{% macro default__to_corporate(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- DuckDB: the same result, mostly without its slow 128-bit division. The product in
    cents is first taken in doubles: at most six roundings of 2^-53 each, so under 1e-6
    cents off below 1e9 cents. There, unless it lies within 1e-5 of a half cent, the
    exact product rounds to the same whole cent (no half cent lies between the two).
    Any other row (larger amounts, near-ties, nulls) takes the exact decimal product.
    round(cents) / 100 is the double nearest that many cents, which the cast to decimal
    rounds back to it.
    The double path is ten times faster (39M account targets at 10M accounts: 6.1-6.7 s
    -> 0.5-0.7 s); tests/transform/test_to_corporate.py compares both on every kind of
    value, ties included. -#}
{% macro duckdb__to_corporate(amount, rate) -%}
    {%- set cents -%}
        (cast({{ amount }} as double) * cast({{ rate }} as double) * 100)
    {%- endset -%}
    case
        when abs({{ cents }}) < 1e9 and abs({{ cents }} - floor({{ cents }}) - 0.5) > 1e-5
            then cast(round({{ cents }}) / 100 as decimal(18, 2))
        else {{ default__to_corporate(amount, rate) }}
    end
{%- endmacro %}

{#- Spark types decimal(18,6) * decimal(18,10) as decimal(37,16): exact, no overflow.
    Widening to 38 digits would make Spark cut the product to 6 decimals first. -#}
{% macro spark__to_corporate(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(18, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
