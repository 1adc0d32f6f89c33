{#- Custom schemas (staging, intermediate, marts) are used as they are, not prefixed
    with the target schema, so analysts find marts.* under that exact name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
