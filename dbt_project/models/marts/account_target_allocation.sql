{#- docs/contract.md section 3b, per account and period: one row per account-period with
    an account_targets row, an override or an allocation node. Every amount is in the
    corporate currency (section 3's conversion, rounded once to cents); allocation runs on
    whole cents with exact integer arithmetic (macros/exact_integers.sql).

    Each node's remainder is spread twice where it differs: with the overrides (the
    "final" allocation_split) and as if there were none (the "calculated" one, only for the
    nodes that hold an override; elsewhere both are the same). The method is the policy's
    allocation.method (dbt var allocation_method); a node whose weights sum to 0 falls back
    to even. -#}

{%- set method = var('allocation_method') -%}
{#- staging types a numeric account column as decimal(18, 6): times 10^6 it is whole -#}
{%- set weight_scale = 1000000 -%}

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
    null is not. The rows: every account x period that has any of the three. #}

account_inputs as (

    select
        fiscal_periods.period,
        accounts.account_id,
        accounts.territory_id,
        allocation_nodes.allocation_territory_id,
        bottom_up_targets.bottom_up_target,
        override_targets.override_target,
        override_targets.override_reason,
        override_targets.overridden_by,

        coalesce(
            override_targets.override_target, bottom_up_targets.bottom_up_target
        ) as final_input

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
        coalesce(sum(final_input), 0) as preserved_targets,
        sum(case when final_input is null then 1 else 0 end) as eligible_account_count,
        coalesce(sum(bottom_up_target), 0) as calculated_preserved_targets,

        sum(
            case when bottom_up_target is null then 1 else 0 end
        ) as calculated_eligible_account_count,

        max(case when override_target is not null then 1 else 0 end) as has_override

    from account_inputs

    where allocation_territory_id is not null

    group by allocation_territory_id, period

),

{# remainder = pool - preserved_targets, in cents; a split happens only where it is
    positive and some account is eligible. #}

split_nodes as (

    select
        'final' as allocation_split,
        node_inputs.period,
        node_inputs.territory_id,
        node_inputs.eligible_account_count,
        {{ to_cents('target_nodes.pool') }}
        - {{ to_cents('node_inputs.preserved_targets') }} as remainder_cents

    from node_inputs

    inner join target_nodes
        on
            node_inputs.territory_id = target_nodes.territory_id
            and node_inputs.period = target_nodes.period

    union all

    select
        'calculated' as allocation_split,
        node_inputs.period,
        node_inputs.territory_id,
        node_inputs.calculated_eligible_account_count as eligible_account_count,
        {{ to_cents('target_nodes.pool') }}
        - {{ to_cents('node_inputs.calculated_preserved_targets') }} as remainder_cents

    from node_inputs

    inner join target_nodes
        on
            node_inputs.territory_id = target_nodes.territory_id
            and node_inputs.period = target_nodes.period

    where node_inputs.has_override = 1

),

eligible_accounts as (

    select
        'final' as allocation_split,
        period,
        allocation_territory_id as territory_id,
        account_id

    from account_inputs

    where allocation_territory_id is not null and final_input is null

    union all

    select
        'calculated' as allocation_split,
        account_inputs.period,
        account_inputs.allocation_territory_id as territory_id,
        account_inputs.account_id

    from account_inputs

    inner join node_inputs
        on
            account_inputs.allocation_territory_id = node_inputs.territory_id
            and account_inputs.period = node_inputs.period

    where node_inputs.has_override = 1 and account_inputs.bottom_up_target is null

),

spread_accounts as (

    select
        eligible_accounts.allocation_split,
        eligible_accounts.period,
        eligible_accounts.territory_id,
        eligible_accounts.account_id,
        split_nodes.remainder_cents,

        cast(
            split_nodes.eligible_account_count as {{ type_wide_integer() }}
        ) as eligible_account_count

    from eligible_accounts

    inner join split_nodes
        on
            eligible_accounts.allocation_split = split_nodes.allocation_split
            and eligible_accounts.period = split_nodes.period
            and eligible_accounts.territory_id = split_nodes.territory_id

    where split_nodes.remainder_cents > 0

),

{# The three methods as item lists (amount, weight and total per split group). Only the
    policy's method passes its constant filter in allocation_items; the engines drop the
    other two branches unread. #}

{# even: weight 1 each #}

even_allocation_items as (

    select
        allocation_split,
        period,
        territory_id,
        account_id,
        'all' as split_group,
        remainder_cents as split_amount,
        cast(1 as {{ type_wide_integer() }}) as split_weight,
        eligible_account_count as split_total,
        'even' as method_used

    from spread_accounts

),

{# weighted: the account's weight_column as staging types it, null counting as 0 #}

weighted_accounts as (

    select
        spread_accounts.*,

        cast(
            cast(coalesce(accounts.{{ var('weight_column') }}, 0) as decimal(38, 6))
            * {{ weight_scale }}
            as {{ type_wide_integer() }}
        ) as account_weight

    from spread_accounts

    inner join accounts
        on spread_accounts.account_id = accounts.account_id

),

weighted_account_sums as (

    select
        *,
        sum(account_weight) over (
            partition by allocation_split, period, territory_id
        ) as weight_sum

    from weighted_accounts

),

weighted_allocation_items as (

    select
        allocation_split,
        period,
        territory_id,
        account_id,
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

    from weighted_account_sums

),

{# bucketed: first over the buckets present (bucket weights from the policy, unlisted 0;
    the null bucket is 'none'), then evenly within each bucket #}

bucketed_accounts as (

    select
        spread_accounts.*,
        coalesce(accounts.{{ var('bucket_column') }}, 'none') as bucket_value

    from spread_accounts

    inner join accounts
        on spread_accounts.account_id = accounts.account_id

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

    select * from even_allocation_items

    where '{{ method }}' = 'even'

    union all

    select * from weighted_allocation_items

    where '{{ method }}' = 'weighted'

    union all

    select * from bucketed_allocation_items

    where '{{ method }}' = 'bucketed'

),

account_splits as (

    {{ largest_remainder(
        'allocation_items',
        'allocation_split, period, territory_id, split_group',
        'split_amount',
        'split_weight',
        'split_total',
        'account_id'
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

{# Accounts with a node and no bottom-up amount take their targets from the splits (an
    eligible account of a node that spread nothing, remainder <= 0, is allocated 0.00);
    every other row is settled by its own inputs. Only the first kind is joined to the
    splits: a few of the account-periods, not all of them.
    calculated_target: as if there were no overrides; final_target: with them. #}

open_account_targets as (

    select
        account_inputs.period,
        account_inputs.account_id,
        account_inputs.territory_id,
        account_inputs.allocation_territory_id,
        account_inputs.bottom_up_target,
        account_inputs.override_target,
        account_inputs.override_reason,
        account_inputs.overridden_by,

        case
            when node_inputs.has_override = 1
                then {{ from_cents('coalesce(calculated_allocations.allocated_cents, 0)') }}
            else {{ from_cents('coalesce(final_allocations.allocated_cents, 0)') }}
        end as calculated_target,

        coalesce(
            account_inputs.override_target,
            {{ from_cents('coalesce(final_allocations.allocated_cents, 0)') }}
        ) as final_target,

        case
            when account_inputs.override_target is not null then 'override'
            else 'allocated'
        end as target_source,

        case
            when account_inputs.override_target is null then final_allocations.method_used
        end as allocation_method

    from account_inputs

    inner join node_inputs
        on
            account_inputs.allocation_territory_id = node_inputs.territory_id
            and account_inputs.period = node_inputs.period

    left join final_allocations
        on
            account_inputs.account_id = final_allocations.account_id
            and account_inputs.period = final_allocations.period

    left join calculated_allocations
        on
            account_inputs.account_id = calculated_allocations.account_id
            and account_inputs.period = calculated_allocations.period

    where account_inputs.bottom_up_target is null

),

settled_account_targets as (

    select
        period,
        account_id,
        territory_id,
        allocation_territory_id,
        bottom_up_target,
        override_target,
        override_reason,
        overridden_by,
        bottom_up_target as calculated_target,
        final_input as final_target,

        case
            when override_target is not null then 'override'
            when bottom_up_target is not null then 'bottom_up'
            else 'none'
        end as target_source,

        null as allocation_method

    from account_inputs

    where bottom_up_target is not null or allocation_territory_id is null

),

account_target_allocation as (

    select * from open_account_targets

    union all

    select * from settled_account_targets

)

select * from account_target_allocation
