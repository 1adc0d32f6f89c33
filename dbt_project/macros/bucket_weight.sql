{#- The policy's weight of a bucket (docs/contract.md section 3b, bucketed allocation):
    allocation.bucket_weights, passed by the pipeline as whole numbers in one scale
    (Policy.dbt_vars: 0.6, 0.3, 0.1 -> 6, 3, 1, exact); the model passes
    var('bucket_weights') as ``weights``. An unlisted bucket weighs 0. -#}
{% macro bucket_weight(bucket, weights) -%}
    {%- set cases = [] -%}
    {%- for name, weight in (weights if weights is mapping else {}) | dictsort -%}
        {%- set quoted = "'" ~ (name | replace("'", "''")) ~ "'" -%}
        {%- set _ = cases.append("when " ~ quoted ~ " then " ~ (weight | int)) -%}
    {%- endfor -%}
    {{ "case " ~ bucket ~ " " ~ (cases | join(" ")) ~ " else 0 end" if cases else "0" }}
{%- endmacro %}
