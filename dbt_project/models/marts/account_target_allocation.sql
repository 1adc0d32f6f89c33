{#- docs/contract.md section 3b, per account and period: one row per account-period with
    an account_targets row, an override or an allocation node, amounts in the corporate
    currency (section 3's conversion); allocation on whole cents, exact integers
    (macros/exact_integers.sql). A node's remainder is spread with the overrides (the
    final split) and, where the node holds one, as if there were none (calculated), by
    the policy's allocation.method; weights summing to 0 fall back to even.

    At account scale: the account-periods are joined to their inputs once and read by
    three consumers that wait for nothing else (node totals, a window over the open rows,
    the settled rows): DuckDB streams them to one and buffers them once for the others.
    Only the open rows (a node, no bottom-up amount: about a tenth) are split, under even
    without a second sort. -#}

{%- set method = var('allocation_method') -%}
{#- weighted: the account's weight_column as staging types it (decimal(18, 6), so whole
    times 10^6), null counting as 0 -#}
{%- set account_weight -%}
    cast(cast(coalesce(allocation_weight, 0) as decimal(38, 6)) * 1000000 as {{ type_wide_integer() }})
{%- endset -%}

with

accounts as (

    select * from {{ ref('stg_accounts') }}

),

fiscal_periods as (

    select * from {{ ref('stg_fiscal_periods') }}

),

account_targets as (

    select * from {{ ref('stg_account_targets') }}

),

target_overrides as (

    select * from {{ ref('stg_target_overrides') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

allocation_nodes as (

    select * from {{ ref('int_allocation_nodes') }}

),

target_nodes as (

    select * from {{ ref('int_target_nodes') }}

),

bottom_up_targets as (

    select
        account_targets.account_id,
        account_targets.period,
        {{ to_corporate('account_targets.target_amount', 'fx_rates.rate_to_corporate') }}
            as bottom_up_target

    from account_targets

    left join fx_rates
        on account_targets.currency_iso = fx_rates.currency_iso

),

override_targets as (

    select
        target_overrides.account_id,
        target_overrides.period,
        target_overrides.override_reason,
        target_overrides.overridden_by,
        {{ to_corporate('target_overrides.target_amount', 'fx_rates.rate_to_corporate') }}
            as override_target

    from target_overrides

    left join fx_rates
        on target_overrides.currency_iso = fx_rates.currency_iso

),

{# An account's input: its override, else its non-null bottom-up amount; 0 is an input,
    null is not. Every account x period with any of the three, and the account's weight
    and bucket (dropped unread under other methods). Narrow: the override's reason and
    author join the output at the end. #}

account_inputs as (

    select
        fiscal_periods.period,
        accounts.account_id,
        accounts.territory_id,
        accounts.{{ var('weight_column') }} as allocation_weight,
        accounts.{{ var('bucket_column') }} as allocation_bucket,
        allocation_nodes.allocation_territory_id,
        bottom_up_targets.bottom_up_target,
        override_targets.override_target

    from accounts

    cross join fiscal_periods

    left join allocation_nodes
        on
            accounts.territory_id = allocation_nodes.territory_id
            and fiscal_periods.period = allocation_nodes.period

    left join bottom_up_targets
        on
            accounts.account_id = bottom_up_targets.account_id
            and fiscal_periods.period = bottom_up_targets.period

    left join override_targets
        on
            accounts.account_id = override_targets.account_id
            and fiscal_periods.period = override_targets.period

    where
        allocation_nodes.allocation_territory_id is not null
        or bottom_up_targets.account_id is not null
        or override_targets.account_id is not null

),

node_inputs as (

    select
        allocation_territory_id as territory_id,
        period,
        coalesce(sum(coalesce(override_target, bottom_up_target)), 0) as preserved_targets,

        sum(
            case when override_target is null and bottom_up_target is null then 1 else 0 end
        ) as eligible_account_count,

        coalesce(sum(bottom_up_target), 0) as calculated_preserved_targets,

        sum(
            case when bottom_up_target is null then 1 else 0 end
        ) as calculated_eligible_account_count,

        max(case when override_target is not null then 1 else 0 end) as has_override

    from account_inputs

    where allocation_territory_id is not null

    group by allocation_territory_id, period

),

{# Open rows, ranked in one window per node and period: account_order by account_id
    (the calculated split's eligible accounts), final_account_order among those without
    an override (the final split's; read on those rows only), and both splits' weight
    sums (read by weighted only). The ranks break ties as account_id does. #}

open_account_inputs as (

    select
        period,
        account_id,
        territory_id,
        allocation_territory_id,
        bottom_up_target,
        override_target,
        allocation_weight,
        allocation_bucket,

        row_number() over (
            partition by allocation_territory_id, period
            order by account_id asc
        ) as account_order,

        sum(case when override_target is null then 1 else 0 end) over (
            partition by allocation_territory_id, period
            order by account_id asc
            rows between unbounded preceding and current row
        ) as final_account_order,

        sum(case when override_target is null then {{ account_weight }} else 0 end) over (
            partition by allocation_territory_id, period
            order by account_id asc
            rows between unbounded preceding and unbounded following
        ) as final_weight_sum,

        sum({{ account_weight }}) over (
            partition by allocation_territory_id, period
            order by account_id asc
            rows between unbounded preceding and unbounded following
        ) as calculated_weight_sum

    from account_inputs

    where allocation_territory_id is not null and bottom_up_target is null

),

{# remainder = pool - preserved_targets in cents, with the overrides and without them;
    spread only where positive (a node without target_nodes row, none in practice, has
    none). #}

node_remainders as (

    select
        node_inputs.period,
        node_inputs.territory_id,
        node_inputs.has_override,

        cast(
            node_inputs.eligible_account_count as {{ type_wide_integer() }}
        ) as eligible_account_count,

        cast(
            node_inputs.calculated_eligible_account_count as {{ type_wide_integer() }}
        ) as calculated_eligible_account_count,

        {{ to_cents('target_nodes.pool') }}
        - {{ to_cents('node_inputs.preserved_targets') }} as remainder_cents,

        {{ to_cents('target_nodes.pool') }}
        - {{ to_cents('node_inputs.calculated_preserved_targets') }}
            as calculated_remainder_cents

    from node_inputs

    left join target_nodes
        on
            node_inputs.territory_id = target_nodes.territory_id
            and node_inputs.period = target_nodes.period

),

open_accounts as (

    select
        open_account_inputs.*,
        node_remainders.has_override,
        node_remainders.remainder_cents,
        node_remainders.eligible_account_count,
        node_remainders.calculated_remainder_cents,
        node_remainders.calculated_eligible_account_count

    from open_account_inputs

    inner join node_remainders
        on
            open_account_inputs.allocation_territory_id = node_remainders.territory_id
            and open_account_inputs.period = node_remainders.period

),

{# Each open row's final and calculated cents by the policy's method: only its branch
    passes the constant filter, the engines drop the others unread. #}

{# even: largest remainder with every weight 1, on the ranks above (no second sort) #}

even_account_allocations as (

    select
        *,

        case
            when override_target is null and remainder_cents > 0 then 'even'
        end as method_used,

        case
            when override_target is null and remainder_cents > 0
                then {{ even_share(
                    'remainder_cents', 'eligible_account_count', 'final_account_order'
                ) }}
        end as final_cents,

        case
            when has_override = 1 and calculated_remainder_cents > 0
                then {{ even_share(
                    'calculated_remainder_cents',
                    'calculated_eligible_account_count',
                    'account_order'
                ) }}
        end as calculated_cents

    from open_accounts

    where '{{ method }}' = 'even'

),

{# weighted and bucketed: the eligible accounts of each split with a positive
    remainder, as items (amount, weight, total per split group) for largest remainder #}

spread_accounts as (

    select
        'final' as allocation_split,
        period,
        allocation_territory_id as territory_id,
        account_id,
        account_order,
        allocation_weight,
        allocation_bucket,
        final_weight_sum as weight_sum,
        remainder_cents,
        eligible_account_count

    from open_accounts

    where override_target is null and remainder_cents > 0

    union all

    select
        'calculated' as allocation_split,
        period,
        allocation_territory_id as territory_id,
        account_id,
        account_order,
        allocation_weight,
        allocation_bucket,
        calculated_weight_sum as weight_sum,
        calculated_remainder_cents as remainder_cents,
        calculated_eligible_account_count as eligible_account_count

    from open_accounts

    where has_override = 1 and calculated_remainder_cents > 0

),

{# weighted: by account_weight over weight_sum, the split's total #}

weighted_accounts as (

    select
        *,
        {{ account_weight }} as account_weight

    from spread_accounts

    where '{{ method }}' = 'weighted'

),

weighted_allocation_items as (

    select
        allocation_split,
        period,
        territory_id,
        account_id,
        account_order,
        'all' as split_group,
        remainder_cents as split_amount,

        case
            when weight_sum > 0 then account_weight
            else cast(1 as {{ type_wide_integer() }})
        end as split_weight,

        case
            when weight_sum > 0 then weight_sum
            else eligible_account_count
        end as split_total,

        case when weight_sum > 0 then 'weighted' else 'even' end as method_used

    from weighted_accounts

),

{# bucketed: first over the buckets present (bucket weights from the policy, unlisted 0;
    the null bucket is 'none'), then evenly within each bucket #}

bucketed_accounts as (

    select
        *,
        coalesce(allocation_bucket, 'none') as bucket_value

    from spread_accounts

    where '{{ method }}' = 'bucketed'

),

present_buckets as (

    select
        allocation_split,
        period,
        territory_id,
        bucket_value,
        max(remainder_cents) as remainder_cents,
        cast(count(*) as {{ type_wide_integer() }}) as bucket_account_count,
        cast(
            {{ bucket_weight('bucket_value', var('bucket_weights')) }} as {{ type_wide_integer() }}
        ) as bucket_weight

    from bucketed_accounts

    group by allocation_split, period, territory_id, bucket_value

),

present_bucket_sums as (

    select
        *,
        sum(bucket_weight) over (
            partition by allocation_split, period, territory_id
        ) as bucket_weight_sum

    from present_buckets

),

weighted_buckets as (

    select * from present_bucket_sums

    where bucket_weight_sum > 0

),

bucket_splits as (

    {{ largest_remainder(
        'weighted_buckets',
        'allocation_split, period, territory_id',
        'remainder_cents',
        'bucket_weight',
        'bucket_weight_sum',
        'bucket_value'
    ) }}

),

bucketed_allocation_items as (

    select
        bucketed_accounts.allocation_split,
        bucketed_accounts.period,
        bucketed_accounts.territory_id,
        bucketed_accounts.account_id,
        bucketed_accounts.account_order,

        case
            when present_bucket_sums.bucket_weight_sum > 0 then bucketed_accounts.bucket_value
            else 'all'
        end as split_group,

        case
            when present_bucket_sums.bucket_weight_sum > 0 then bucket_splits.lr_share
            else bucketed_accounts.remainder_cents
        end as split_amount,

        cast(1 as {{ type_wide_integer() }}) as split_weight,

        case
            when present_bucket_sums.bucket_weight_sum > 0
                then present_bucket_sums.bucket_account_count
            else bucketed_accounts.eligible_account_count
        end as split_total,

        case
            when present_bucket_sums.bucket_weight_sum > 0 then 'bucketed'
            else 'even'
        end as method_used

    from bucketed_accounts

    inner join present_bucket_sums
        on
            bucketed_accounts.allocation_split = present_bucket_sums.allocation_split
            and bucketed_accounts.period = present_bucket_sums.period
            and bucketed_accounts.territory_id = present_bucket_sums.territory_id
            and bucketed_accounts.bucket_value = present_bucket_sums.bucket_value

    left join bucket_splits
        on
            bucketed_accounts.allocation_split = bucket_splits.allocation_split
            and bucketed_accounts.period = bucket_splits.period
            and bucketed_accounts.territory_id = bucket_splits.territory_id
            and bucketed_accounts.bucket_value = bucket_splits.bucket_value

),

allocation_items as (

    select * from weighted_allocation_items

    union all

    select * from bucketed_allocation_items

),

{# ties by account_order, which orders the accounts of a node and period as account_id
    does #}

account_splits as (

    {{ largest_remainder(
        'allocation_items',
        'allocation_split, period, territory_id, split_group',
        'split_amount',
        'split_weight',
        'split_total',
        'account_order'
    ) }}

),

final_allocations as (

    select
        period,
        account_id,
        method_used,
        lr_share as allocated_cents

    from account_splits

    where allocation_split = 'final'

),

calculated_allocations as (

    select
        period,
        account_id,
        lr_share as allocated_cents

    from account_splits

    where allocation_split = 'calculated'

),

method_account_allocations as (

    select
        open_accounts.*,
        final_allocations.method_used,
        final_allocations.allocated_cents as final_cents,
        calculated_allocations.allocated_cents as calculated_cents

    from open_accounts

    left join final_allocations
        on
            open_accounts.account_id = final_allocations.account_id
            and open_accounts.period = final_allocations.period

    left join calculated_allocations
        on
            open_accounts.account_id = calculated_allocations.account_id
            and open_accounts.period = calculated_allocations.period

    where '{{ method }}' <> 'even'

),

open_account_allocations as (

    select * from even_account_allocations

    union all

    select * from method_account_allocations

),

{# An eligible account of a node that spread nothing (remainder <= 0) is allocated 0.00;
    calculated_target is without the overrides, final_target with them. #}

open_account_targets as (

    select
        period,
        account_id,
        territory_id,
        allocation_territory_id,
        bottom_up_target,
        override_target,

        case
            when has_override = 1
                then {{ from_cents('coalesce(calculated_cents, 0)') }}
            else {{ from_cents('coalesce(final_cents, 0)') }}
        end as calculated_target,

        coalesce(override_target, {{ from_cents('coalesce(final_cents, 0)') }}) as final_target,

        case
            when override_target is not null then 'override'
            else 'allocated'
        end as target_source,

        case
            when override_target is null then method_used
        end as allocation_method

    from open_account_allocations

),

settled_account_targets as (

    select
        period,
        account_id,
        territory_id,
        allocation_territory_id,
        bottom_up_target,
        override_target,
        bottom_up_target as calculated_target,
        coalesce(override_target, bottom_up_target) as final_target,

        case
            when override_target is not null then 'override'
            when bottom_up_target is not null then 'bottom_up'
            else 'none'
        end as target_source,

        null as allocation_method

    from account_inputs

    where bottom_up_target is not null or allocation_territory_id is null

),

account_targets_by_source as (

    select * from open_account_targets

    union all

    select * from settled_account_targets

),

account_target_allocation as (

    select
        account_targets_by_source.period,
        account_targets_by_source.account_id,
        account_targets_by_source.territory_id,
        account_targets_by_source.allocation_territory_id,
        account_targets_by_source.bottom_up_target,
        account_targets_by_source.override_target,
        override_targets.override_reason,
        override_targets.overridden_by,
        account_targets_by_source.calculated_target,
        account_targets_by_source.final_target,
        account_targets_by_source.target_source,
        account_targets_by_source.allocation_method

    from account_targets_by_source

    left join override_targets
        on
            account_targets_by_source.account_id = override_targets.account_id
            and account_targets_by_source.period = override_targets.period

)

select * from account_target_allocation
