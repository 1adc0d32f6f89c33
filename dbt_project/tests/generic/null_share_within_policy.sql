{#- docs/contract.md section 3b: with allocation.targets_basis allocated, a null bottom-up
    target is expected input, so the policy's limit on the share of null targets
    (quality.max_null_target_share, which the GX raw suite of account_targets applies to
    the extract under bottom_up) applies to the column given here, the final target.
    Under bottom_up the raw suite holds the limit and this test returns no row. -#}
{% test null_share_within_policy(model, column_name) %}

with

null_shares as (

    select
        count(*) as row_count,
        sum(case when {{ column_name }} is null then 1 else 0 end) as null_count

    from {{ model }}

)

select * from null_shares

where
    '{{ var("targets_basis") }}' = 'allocated'
    and null_count > {{ var('max_null_target_share') }} * row_count

{% endtest %}
