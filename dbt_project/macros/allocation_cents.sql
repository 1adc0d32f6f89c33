{#- Cents and their split for account target allocation (docs/contract.md section 3b),
    on the exact integers of macros/exact_integers.sql. -#}

{#- A money amount (decimal, two places) as whole cents. -#}
{% macro to_cents(amount) -%}
    cast(cast({{ amount }} as decimal(38, 2)) * 100 as {{ type_wide_integer() }})
{%- endmacro %}

{#- Whole cents back to money, decimal(18,2) (section 4). -#}
{% macro from_cents(cents) -%}
    cast(cast({{ cents }} as decimal(38, 0)) * 0.01 as decimal(18, 2))
{%- endmacro %}

{#- Largest remainder (section 3b) as a select over the relation ``items``: each item of a
    split (rows sharing ``partition_by``) gets floor(R * w / W) plus one of the cents left
    over when its R * w mod W is among the largest, ties by ``tie_key`` ascending. ``amount``
    (R), ``weight`` (w) and ``total_weight`` (W > 0) are wide-integer expressions; the
    result adds lr_base, lr_remainder and lr_share (the item's cents) to the columns. -#}
{% macro largest_remainder(items, partition_by, amount, weight, total_weight, tie_key) -%}
    select
        weighted_items.*,
        weighted_items.lr_base
        + case
            when
                row_number() over (
                    partition by {{ partition_by }}
                    order by weighted_items.lr_remainder desc, {{ tie_key }} asc
                )
                <= weighted_items.lr_amount
                - sum(weighted_items.lr_base) over (partition by {{ partition_by }})
                then 1
            else 0
        end as lr_share

    from (

        select
            *,
            {{ amount }} as lr_amount,
            {{ floor_divide(amount ~ ' * ' ~ weight, total_weight) }} as lr_base,
            ({{ amount }} * {{ weight }}) % ({{ total_weight }}) as lr_remainder

        from {{ items }}

    ) as weighted_items
{%- endmacro %}
