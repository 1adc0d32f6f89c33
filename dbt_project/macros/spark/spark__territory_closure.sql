{#- Spark 3.5 has no recursive CTE: the hierarchy is walked by a fixed chain of
    max_depth (16) left self-joins, unpivoted with inline(), and the build fails
    (raise_error) when a territory still has a parent above that depth, which is also
    what a cycle does. max_depth is a constant, not a var: dbt vars carry the policy only.
    Same rows, same columns as default__territory_closure.
    Spark SQL (inline, named_struct, raise_error): not linted by sqlfluff's duckdb
    dialect, hence listed in .sqlfluffignore. -#}
{% macro spark__territory_closure(territories_relation) -%}
{%- set max_depth = 16 -%}
with

territories as (

    select
        territory_id,
        parent_territory_id
    from {{ territories_relation }}

),

chains as (

    -- level_<n>: the ancestor n levels up (null above the root)
    select
        level_0.territory_id,
        {% for level in range(max_depth + 1) -%}
        level_{{ level }}.territory_id as ancestor_{{ level }},
        {% endfor -%}
        case
            when level_{{ max_depth }}.parent_territory_id is not null
                then raise_error(
                    'territory hierarchy deeper than {{ max_depth }} levels, or cyclic'
                )
        end as depth_guard

    from territories as level_0
    {% for level in range(1, max_depth + 1) -%}
    left join territories as level_{{ level }}
        on level_{{ level - 1 }}.parent_territory_id = level_{{ level }}.territory_id
    {% endfor %}

),

pairs as (

    select
        territory_id,
        depth_guard,
        inline(array(
            {% for level in range(max_depth + 1) -%}
            named_struct(
                'ancestor_territory_id', ancestor_{{ level }}, 'levels_below', {{ level }}
            ){{ "," if not loop.last }}
            {% endfor -%}
        ))
    from chains

),

closure as (

    select
        ancestor_territory_id,
        territory_id,
        levels_below
    from pairs
    where ancestor_territory_id is not null and depth_guard is null

)

select * from closure
{%- endmacro %}
