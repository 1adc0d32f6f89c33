{#- docs/contract.md section 3b: the cents allocated to a node's accounts (their final
    targets where target_source is allocated, in ``accounts``) sum to the node's
    allocated_targets, its remainder when it was spread, else 0. A row per node and
    period where they differ. -#}
{% test allocated_cents_sum_to_node(model, accounts) %}

with

account_allocations as (

    select
        allocation_territory_id as territory_id,
        period,
        sum(final_target) as allocated_to_accounts

    from {{ accounts }}

    where target_source = 'allocated'

    group by allocation_territory_id, period

),

mismatched_nodes as (

    select
        nodes.period,
        nodes.territory_id,
        nodes.allocated_targets,
        coalesce(account_allocations.allocated_to_accounts, 0) as allocated_to_accounts

    from {{ model }} as nodes

    left join account_allocations
        on
            nodes.territory_id = account_allocations.territory_id
            and nodes.period = account_allocations.period

    where nodes.allocated_targets <> coalesce(account_allocations.allocated_to_accounts, 0)

)

select * from mismatched_nodes

{% endtest %}
