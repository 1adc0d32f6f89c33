with

account_targets as (

    select * from {{ ref('stg_account_targets') }}

),

accounts as (

    select * from {{ ref('stg_accounts') }}

),

sellers as (

    select * from {{ ref('stg_sellers') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

account_targets_in_corporate_currency as (

    select
        account_targets.account_id,
        account_targets.period,
        accounts.owner_seller_id,
        sellers.status as owner_status,
        accounts.territory_id,
        {{ to_corporate('account_targets.target_amount', 'fx_rates.rate_to_corporate') }}
            as target_amount_corp

    from account_targets

    inner join accounts
        on account_targets.account_id = accounts.account_id

    left join sellers
        on accounts.owner_seller_id = sellers.seller_id

    left join fx_rates
        on account_targets.currency_iso = fx_rates.currency_iso

)

select * from account_targets_in_corporate_currency
