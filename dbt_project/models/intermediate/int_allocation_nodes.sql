{{ config(materialized='table') }}

{#- docs/contract.md section 3b: per period, each territory's allocation node, the nearest
    target node (a territory with a topdown_targets row in the period) among the territory
    itself and its ancestors, itself first. One join of the closure with the target nodes;
    a territory with no target node above it has no row. A table of territories x periods
    (small), which the account allocation joins once to every account. -#}

with

closure as (

    select * from {{ ref('int_territory_closure') }}

),

topdown_targets as (

    select * from {{ ref('stg_topdown_targets') }}

),

target_node_ancestors as (

    select
        closure.territory_id,
        topdown_targets.period,
        topdown_targets.territory_id as allocation_territory_id,

        row_number() over (
            partition by closure.territory_id, topdown_targets.period
            order by closure.levels_below asc
        ) as nearness

    from closure

    inner join topdown_targets
        on closure.ancestor_territory_id = topdown_targets.territory_id

),

allocation_nodes as (

    select
        territory_id,
        period,
        allocation_territory_id

    from target_node_ancestors

    where nearness = 1

)

select * from allocation_nodes
