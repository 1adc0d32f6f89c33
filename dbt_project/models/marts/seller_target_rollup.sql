{#- docs/contract.md section 3, per seller and period: every seller (any status) x every
    fiscal period, zero rows included. The columns after high_value_targets are not in
    the contract's list: the Polars risk step reads them from here. -#}

with

sellers as (

    select * from {{ ref('stg_sellers') }}

),

fiscal_periods as (

    select * from {{ ref('stg_fiscal_periods') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

),

quotas as (

    select * from {{ ref('int_quotas') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

distribution as (

    select * from {{ ref('account_target_distribution') }}

),

account_outlook as (

    -- docs/contract.md 3c, per account: its seller's quota, and the spread of its
    -- outcome (target_sd of its ABC tier x its target); one pass with the rollup below
    select
        distribution.*,
        quotas.quota_amount_corp,

        case distribution.abc_tier
            when 'A' then {{ var('target_sd_a') }}
            when 'B' then {{ var('target_sd_b') }}
            else {{ var('target_sd_c') }}
        end
        * cast(distribution.target_amount_corp as {{ type_double() }}) as outcome_spread

    from distribution

    left join quotas
        on
            distribution.seller_id = quotas.seller_id
            and distribution.period = quotas.period

),

owned_accounts as (

    select
        owner_seller_id as seller_id,
        count(*) as account_count

    from accounts

    where owner_seller_id is not null

    group by owner_seller_id

),

seller_distributions as (

    -- exact decimal sums first; the shares are derived from them in one division each
    select
        seller_id,
        period,
        count(target_amount_corp) as planned_account_count,
        sum(target_amount_corp) as sum_account_targets,
        max(target_amount_corp) as top1_targets,
        sum(case when rank_in_seller <= 3 then target_amount_corp end) as top3_targets,

        sum(cast(target_amount_corp as decimal(38, 2)) * target_amount_corp)
            as sum_squared_targets,

        count(case when abc_tier = 'A' then 1 end) as accounts_for_80pct,
        count(case when is_high_value then 1 end) as high_value_account_count,
        sum(case when is_high_value then target_amount_corp end) as high_value_targets,

        max(case when rank_in_seller = 1 then account_id end) as top1_account_id,
        sum(outcome_spread * outcome_spread) as target_spread_squared,

        -- least k with SAT less the k largest targets below quota: the accounts whose
        -- loss, with every account ranked above them, still leaves the quota covered
        count(case when remaining_targets >= quota_amount_corp then 1 end)
            as accounts_to_break

    from account_outlook

    group by seller_id, period

),

seller_shares as (

    select
        seller_id,
        period,
        {{ divide_or_null('top1_targets', 'sum_account_targets') }} as top1_share,
        {{ divide_or_null('top3_targets', 'sum_account_targets') }} as top3_share,

        -- sum of (100 * share)^2 = 10000 * sum(target^2) / SAT^2
        10000 * {{ divide_or_null('sum_squared_targets', 'sum_account_targets') }}
        / cast(sum_account_targets as {{ type_double() }}) as hhi

    from seller_distributions

),

seller_periods as (

    select
        fiscal_periods.period,
        fiscal_periods.fiscal_year,
        fiscal_periods.start_date as period_start_date,
        fiscal_periods.end_date as period_end_date,
        sellers.seller_id,
        sellers.territory_id,
        sellers.status as seller_status,
        sellers.seniority,
        sellers.strategic_focus,
        sellers.hire_date,
        sellers.role,
        {{ to_corporate('sellers.ote_amount', 'fx_rates.rate_to_corporate') }}
            as ote_amount_corp

    from sellers

    cross join fiscal_periods

    left join fx_rates
        on sellers.currency_iso = fx_rates.currency_iso

),

seller_period_rollup as (

    select
        seller_periods.period,
        seller_periods.seller_id,
        seller_periods.territory_id,

        coalesce(owned_accounts.account_count, 0) as account_count,

        coalesce(owned_accounts.account_count, 0)
        - coalesce(seller_distributions.planned_account_count, 0)
            as accounts_missing_target,

        cast(
            coalesce(seller_distributions.sum_account_targets, 0) as decimal(18, 2)
        ) as sum_account_targets,

        seller_shares.top1_share,
        seller_shares.top3_share,
        coalesce(seller_distributions.accounts_for_80pct, 0) as accounts_for_80pct,
        seller_shares.hhi,

        coalesce(seller_distributions.high_value_account_count, 0)
            as high_value_account_count,

        cast(
            coalesce(seller_distributions.high_value_targets, 0) as decimal(18, 2)
        ) as high_value_targets,

        ----------  added for the risk step
        quotas.quota_amount_corp,
        seller_periods.ote_amount_corp,
        seller_periods.seller_status,
        seller_periods.seniority,
        seller_periods.strategic_focus,
        seller_periods.hire_date,
        seller_periods.fiscal_year,
        seller_periods.period_start_date,
        seller_periods.period_end_date,
        seller_periods.role,

        ----------  added for the outlook (docs/contract.md 3c)
        cast(
            coalesce(seller_distributions.top1_targets, 0) as decimal(18, 2)
        ) as top1_target,

        seller_distributions.top1_account_id,

        cast(
            coalesce(seller_distributions.target_spread_squared, 0) as {{ type_double() }}
        ) as target_spread_squared,

        case
            when quotas.quota_amount_corp > 0
                then coalesce(seller_distributions.accounts_to_break, 0)
        end as accounts_to_break

    from seller_periods

    left join owned_accounts
        on seller_periods.seller_id = owned_accounts.seller_id

    left join seller_distributions
        on
            seller_periods.seller_id = seller_distributions.seller_id
            and seller_periods.period = seller_distributions.period

    left join seller_shares
        on
            seller_periods.seller_id = seller_shares.seller_id
            and seller_periods.period = seller_shares.period

    left join quotas
        on
            seller_periods.seller_id = quotas.seller_id
            and seller_periods.period = quotas.period

)

select * from seller_period_rollup
