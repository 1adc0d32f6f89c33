{#- An 8-byte float for ratios and shares (docs/contract.md section 4: ratios DOUBLE).
    dbt.type_float() is not used: it renders FLOAT, which is 4 bytes in DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
