{#- No null in any of the listed columns: one scan of the model for all of them, where a
    not_null test per column would scan it once per column (and cost a dbt node and an
    asset check each). A row per column that holds nulls, with how many. -#}
{% test not_null_columns(model, column_names) %}

with

null_counts as (

    select
        {%- for column in column_names %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from {{ model }}

),

columns_with_nulls as (

    {%- for column in column_names %}
    select
        '{{ column }}' as column_name,
        {{ column }} as null_rows
    from null_counts
    where {{ column }} > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from columns_with_nulls

{% endtest %}
