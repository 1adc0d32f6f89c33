{#- docs/contract.md section 3, distribution: one row per owned account and period that has a
    target row. Tiers compare exact decimal sums (cumulative targets before the account
    against the tier bound times SAT), so a cumulative share of exactly 0.80 is tier B. -#}

with

account_targets as (

    select * from {{ ref('int_account_targets') }}

),

owned_account_targets as (

    select
        period,
        account_id,
        owner_seller_id as seller_id,
        territory_id,
        target_amount_corp

    from account_targets

    where owner_seller_id is not null

),

ranked_account_targets as (

    select
        *,

        -- SAT: a null target counts as 0
        coalesce(
            sum(target_amount_corp) over (partition by seller_id, period),
            0
        ) as sum_account_targets,

        row_number() over (
            partition by seller_id, period
            order by target_amount_corp desc nulls last, account_id asc
        ) as rank_in_seller,

        sum(target_amount_corp) over (
            partition by seller_id, period
            order by target_amount_corp desc nulls last, account_id asc
            rows between unbounded preceding and current row
        ) as cumulative_targets

    from owned_account_targets

),

distribution as (

    select
        period,
        account_id,
        seller_id,
        territory_id,
        target_amount_corp,

        {{ divide_or_null('target_amount_corp', 'sum_account_targets') }}
            as share_of_seller,

        rank_in_seller,

        case
            when target_amount_corp is not null
                then {{ divide_or_null('cumulative_targets', 'sum_account_targets') }}
        end as cumulative_share,

        -- docs/contract.md 3c: SAT less the targets ranked above the account, what the
        -- seller still holds once those are lost (the rollup counts accounts_to_break on it)
        cast(
            sum_account_targets
            - coalesce(cumulative_targets, 0)
            + coalesce(target_amount_corp, 0)
            as decimal(18, 2)
        ) as remaining_targets,

        case
            when sum_account_targets = 0 or target_amount_corp is null then 'C'
            when
                cumulative_targets - target_amount_corp
                < cast({{ var('abc_tier_a') }} as decimal(18, 12)) * sum_account_targets
                then 'A'
            when
                cumulative_targets - target_amount_corp
                < cast({{ var('abc_tier_b') }} as decimal(18, 12)) * sum_account_targets
                then 'B'
            else 'C'
        end as abc_tier,

        coalesce(
            target_amount_corp
            >= cast({{ var('high_value_min_target') }} as decimal(18, 2)),
            false
        ) as is_high_value

    from ranked_account_targets

)

select * from distribution
