{#- docs/contract.md section 3, per territory (its whole subtree) and period: every territory
    x every fiscal period. Subtrees come from int_territory_closure: a territory's
    subtree is every closure row whose ancestor it is. -#}

with

territories as (

    select * from {{ ref('stg_territories') }}

),

closure as (

    select * from {{ ref('int_territory_closure') }}

),

fiscal_periods as (

    select * from {{ ref('stg_fiscal_periods') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

),

sellers as (

    select * from {{ ref('stg_sellers') }}

),

owned_account_targets as (

    select * from {{ ref('account_target_distribution') }}

),

{# Owned targets come from the distribution mart, already converted and joined; only the
    few unowned accounts' targets are read from int_account_targets, so the join of every
    account target to its account runs once per night, not once per mart. #}

unowned_account_targets as (

    select * from {{ ref('int_account_targets') }}

    where owner_seller_id is null

),

quotas as (

    select * from {{ ref('int_quotas') }}

),

topdown_targets as (

    select * from {{ ref('stg_topdown_targets') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

territory_depths as (

    select
        territory_id,
        max(levels_below) as depth

    from closure

    group by territory_id

),

{# Each fact is aggregated per territory first, then summed up the closure: the
    closure join then multiplies a few thousand territory rows, not every account. #}

territory_accounts as (

    select
        territory_id,
        count(*) as account_count

    from accounts

    group by territory_id

),

subtree_accounts as (

    select
        closure.ancestor_territory_id as territory_id,
        sum(territory_accounts.account_count) as account_count

    from closure

    inner join territory_accounts
        on closure.territory_id = territory_accounts.territory_id

    group by closure.ancestor_territory_id

),

subtree_sellers as (

    select
        closure.ancestor_territory_id as territory_id,
        count(*) as seller_count

    from closure

    inner join sellers
        on closure.territory_id = sellers.territory_id

    where sellers.status <> 'terminated'

    group by closure.ancestor_territory_id

),

owned_territory_targets as (

    select
        owned_account_targets.territory_id,
        owned_account_targets.period,
        sum(owned_account_targets.target_amount_corp) as bottom_up_targets,

        sum(
            case
                when sellers.status = 'terminated'
                    then owned_account_targets.target_amount_corp
            end
        ) as unassigned_targets

    from owned_account_targets

    left join sellers
        on owned_account_targets.seller_id = sellers.seller_id

    group by owned_account_targets.territory_id, owned_account_targets.period

),

unowned_territory_targets as (

    select
        territory_id,
        period,
        sum(target_amount_corp) as bottom_up_targets,
        sum(target_amount_corp) as unassigned_targets

    from unowned_account_targets

    group by territory_id, period

),

territory_targets as (

    select * from owned_territory_targets

    union all

    select * from unowned_territory_targets

),

subtree_targets as (

    select
        closure.ancestor_territory_id as territory_id,
        territory_targets.period,
        sum(territory_targets.bottom_up_targets) as bottom_up_targets,
        sum(territory_targets.unassigned_targets) as unassigned_targets

    from closure

    inner join territory_targets
        on closure.territory_id = territory_targets.territory_id

    group by closure.ancestor_territory_id, territory_targets.period

),

subtree_quotas as (

    select
        closure.ancestor_territory_id as territory_id,
        quotas.period,
        sum(quotas.quota_amount_corp) as quota_sum

    from closure

    inner join quotas
        on closure.territory_id = quotas.territory_id

    group by closure.ancestor_territory_id, quotas.period

),

topdown_targets_in_corporate_currency as (

    select
        topdown_targets.territory_id,
        topdown_targets.period,
        {{ to_corporate('topdown_targets.target_amount', 'fx_rates.rate_to_corporate') }}
            as topdown_target

    from topdown_targets

    left join fx_rates
        on topdown_targets.currency_iso = fx_rates.currency_iso

),

territory_periods as (

    select
        fiscal_periods.period,
        territories.territory_id,
        territories.parent_territory_id

    from territories

    cross join fiscal_periods

),

territory_period_rollup as (

    select
        territory_periods.period,
        territory_periods.territory_id,
        territory_periods.parent_territory_id,
        territory_depths.depth,
        coalesce(subtree_accounts.account_count, 0) as account_count,
        coalesce(subtree_sellers.seller_count, 0) as seller_count,

        cast(
            coalesce(subtree_targets.bottom_up_targets, 0) as decimal(18, 2)
        ) as bottom_up_targets,

        cast(coalesce(subtree_quotas.quota_sum, 0) as decimal(18, 2)) as quota_sum,
        topdown_targets_in_corporate_currency.topdown_target,

        cast(
            coalesce(subtree_targets.unassigned_targets, 0) as decimal(18, 2)
        ) as unassigned_targets

    from territory_periods

    inner join territory_depths
        on territory_periods.territory_id = territory_depths.territory_id

    left join subtree_accounts
        on territory_periods.territory_id = subtree_accounts.territory_id

    left join subtree_sellers
        on territory_periods.territory_id = subtree_sellers.territory_id

    left join subtree_targets
        on
            territory_periods.territory_id = subtree_targets.territory_id
            and territory_periods.period = subtree_targets.period

    left join subtree_quotas
        on
            territory_periods.territory_id = subtree_quotas.territory_id
            and territory_periods.period = subtree_quotas.period

    left join topdown_targets_in_corporate_currency
        on
            territory_periods.territory_id
            = topdown_targets_in_corporate_currency.territory_id
            and territory_periods.period = topdown_targets_in_corporate_currency.period

)

select * from territory_period_rollup
