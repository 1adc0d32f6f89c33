{#- docs/contract.md section 3b, per period and target node: the reconciliation of its
    pool. remainder = pool - preserved_targets: spread when positive over at least one
    eligible account (allocated_targets), else unallocated (positive, nobody eligible) or
    over_committed (negative). The accounts' own cents are in account_target_allocation;
    a blocking test checks that they sum to allocated_targets. -#}

with

target_nodes as (

    select * from {{ ref('int_target_nodes') }}

),

account_target_allocation as (

    select * from {{ ref('account_target_allocation') }}

),

node_accounts as (

    select
        allocation_territory_id as territory_id,
        period,

        coalesce(
            sum(case when target_source <> 'allocated' then final_target end), 0
        ) as preserved_targets,

        sum(case when target_source = 'allocated' then 1 else 0 end) as eligible_account_count,
        max(allocation_method) as method_used

    from account_target_allocation

    where allocation_territory_id is not null

    group by allocation_territory_id, period

),

node_remainders as (

    select
        target_nodes.period,
        target_nodes.territory_id,
        target_nodes.topdown_target,
        target_nodes.child_topdown_targets,
        target_nodes.pool,
        cast(coalesce(node_accounts.preserved_targets, 0) as decimal(18, 2)) as preserved_targets,
        coalesce(node_accounts.eligible_account_count, 0) as eligible_account_count,
        node_accounts.method_used,
        target_nodes.pool - coalesce(node_accounts.preserved_targets, 0) as remainder_amount

    from target_nodes

    left join node_accounts
        on
            target_nodes.territory_id = node_accounts.territory_id
            and target_nodes.period = node_accounts.period

),

territory_allocation as (

    select
        period,
        territory_id,
        topdown_target,
        child_topdown_targets,
        pool,
        preserved_targets,
        eligible_account_count,

        cast(
            case
                when remainder_amount > 0 and eligible_account_count > 0
                    then remainder_amount
                else 0
            end as decimal(18, 2)
        ) as allocated_targets,

        cast(
            case
                when remainder_amount > 0 and eligible_account_count = 0
                    then remainder_amount
                else 0
            end as decimal(18, 2)
        ) as unallocated,

        cast(case when remainder_amount < 0 then -remainder_amount else 0 end as decimal(18, 2))
            as over_committed,

        method_used

    from node_remainders

)

select * from territory_allocation
