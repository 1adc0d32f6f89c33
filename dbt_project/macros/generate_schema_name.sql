{#- Custom schemas (staging, intermediate, marts) are used as they are, not prefixed
    with the target schema, so analysts find marts.* under that exact name.
    On PostgreSQL the pipeline builds into <schema>__next and publishes all schemas in
    one transaction (docs/contract.md section 4): it passes that suffix as the var
    quota_schema_suffix, applied here and by the raw source (models/staging/_sources.yml). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ quota_schema_suffix() }}
    {%- endif -%}
{%- endmacro %}

{#- The build suffix of this run's schemas: the var on the postgres target, else empty. -#}
{% macro quota_schema_suffix() -%}
    {%- if target.type == 'postgres' -%}
        {{ var('quota_schema_suffix', '') | trim }}
    {%- endif -%}
{%- endmacro %}
