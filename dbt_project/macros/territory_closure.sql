{#- Every (ancestor, territory, levels_below) pair of the territory hierarchy, each
    territory being its own ancestor at 0 levels. A recursive CTE where the engine has
    one (DuckDB, PostgreSQL); Spark 3.5 has none, so there the hierarchy is walked by a
    fixed chain of 16 self-joins that fails loudly when deeper:
    macros/spark/spark__territory_closure.sql. -#}
{% macro territory_closure(territories_relation) -%}
    {{ return(adapter.dispatch('territory_closure')(territories_relation)) }}
{%- endmacro %}

{% macro default__territory_closure(territories_relation) -%}
with recursive

territories as (

    select
        territory_id,
        parent_territory_id
    from {{ territories_relation }}

),

closure as (

    -- every territory is its own ancestor, zero levels up
    select
        territory_id as ancestor_territory_id,
        territory_id,
        0 as levels_below
    from territories

    union all

    -- one level further up: the parent of the ancestor found so far
    select
        parents.parent_territory_id as ancestor_territory_id,
        closure.territory_id,
        closure.levels_below + 1 as levels_below
    from closure
    inner join territories as parents
        on closure.ancestor_territory_id = parents.territory_id
    where
        parents.parent_territory_id is not null
        -- an acyclic hierarchy is never deeper than its number of territories: the bound
        -- only stops a cycle (which ingest quarantines) from recursing forever, and the
        -- grain test of this model then fails on the repeated pairs
        and closure.levels_below < (select count(*) from territories)

)

select * from closure
{%- endmacro %}
