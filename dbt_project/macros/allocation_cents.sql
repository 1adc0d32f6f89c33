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
    result adds lr_base, lr_remainder and lr_share (the item's cents) to the columns. Both
    windows share one partition and order (the sum's frame is the whole partition), so an
    engine sorts the items once. -#}
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
                - sum(weighted_items.lr_base) over (
                    partition by {{ partition_by }}
                    order by weighted_items.lr_remainder desc, {{ tie_key }} asc
                    rows between unbounded preceding and unbounded following
                )
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

{#- Largest remainder when every weight is 1 (the even method): R cents over N items, the
    item ranked ``item_rank`` (1 to N by the tie key) gets floor(R / N), plus one cent when
    its rank is at most R mod N. Every fractional part is the same, so the cents left go to
    the first R mod N items by key: what largest_remainder gives, without sorting the items
    again. ``amount`` and ``item_count`` are wide integers, R > 0 and N > 0. -#}
{% macro even_share(amount, item_count, item_rank) -%}
    {{ floor_divide(amount, item_count) }}
    + case when {{ item_rank }} <= ({{ amount }}) % ({{ item_count }}) then 1 else 0 end
{%- endmacro %}
