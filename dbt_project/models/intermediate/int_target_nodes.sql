{{ config(materialized='table') }}

{#- docs/contract.md section 3b, per period and target node: its top-down target T_n in the
    corporate currency, the nearest target node above it (its parent territory's
    allocation node), child_topdown_targets (the T_m of the target nodes m whose nearest
    target-node proper ancestor is n) and pool = T_n - child_topdown_targets. -#}

with

territories as (

    select * from {{ ref('stg_territories') }}

),

topdown_targets as (

    select * from {{ ref('stg_topdown_targets') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

allocation_nodes as (

    select * from {{ ref('int_allocation_nodes') }}

),

target_nodes as (

    select
        topdown_targets.territory_id,
        topdown_targets.period,
        {{ to_corporate('topdown_targets.target_amount', 'fx_rates.rate_to_corporate') }}
            as topdown_target

    from topdown_targets

    left join fx_rates
        on topdown_targets.currency_iso = fx_rates.currency_iso

),

target_nodes_with_parent as (

    select
        target_nodes.territory_id,
        target_nodes.period,
        target_nodes.topdown_target,
        parent_nodes.allocation_territory_id as parent_target_territory_id

    from target_nodes

    inner join territories
        on target_nodes.territory_id = territories.territory_id

    left join allocation_nodes as parent_nodes
        on
            territories.parent_territory_id = parent_nodes.territory_id
            and target_nodes.period = parent_nodes.period

),

child_targets as (

    select
        parent_target_territory_id as territory_id,
        period,
        sum(topdown_target) as child_topdown_targets

    from target_nodes_with_parent

    where parent_target_territory_id is not null

    group by parent_target_territory_id, period

),

target_node_pools as (

    select
        target_nodes_with_parent.period,
        target_nodes_with_parent.territory_id,
        target_nodes_with_parent.parent_target_territory_id,
        target_nodes_with_parent.topdown_target,

        cast(
            coalesce(child_targets.child_topdown_targets, 0) as decimal(18, 2)
        ) as child_topdown_targets,

        cast(
            target_nodes_with_parent.topdown_target
            - coalesce(child_targets.child_topdown_targets, 0)
            as decimal(18, 2)
        ) as pool

    from target_nodes_with_parent

    left join child_targets
        on
            target_nodes_with_parent.territory_id = child_targets.territory_id
            and target_nodes_with_parent.period = child_targets.period

)

select * from target_node_pools
