{#- Exact integer arithmetic for the cents of account target allocation
    (docs/contract.md section 3b): amounts become whole cents, weights whole numbers, and
    largest remainder compares R * w mod W on those integers, never on rounded quotients
    or floating point, so the parts always sum to R. Products reach about 1e32 (cents up
    to 1e14 times revenue weights up to 1e18): 38 digits hold them on every engine. -#}

{#- The integer type: DuckDB's 128-bit HUGEINT (its DECIMAL(38,0) division is a double),
    PostgreSQL's numeric, Spark's decimal(38,0). -#}
{% macro type_wide_integer() -%}
    {{ return(adapter.dispatch('type_wide_integer')()) }}
{%- endmacro %}

{% macro default__type_wide_integer() -%}
    numeric(38, 0)
{%- endmacro %}

{% macro duckdb__type_wide_integer() -%}
    hugeint
{%- endmacro %}

{% macro spark__type_wide_integer() -%}
    decimal(38, 0)
{%- endmacro %}

{#- floor(numerator / denominator) of two non-negative wide integers, exactly. -#}
{% macro floor_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('floor_divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__floor_divide(numerator, denominator) -%}
    div({{ numerator }}, {{ denominator }})
{%- endmacro %}

{% macro duckdb__floor_divide(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{#- Spark's div returns a bigint: enough, as a quotient is at most R (< 1e15 cents). -#}
{% macro spark__floor_divide(numerator, denominator) -%}
    cast(({{ numerator }}) div ({{ denominator }}) as decimal(38, 0))
{%- endmacro %}
