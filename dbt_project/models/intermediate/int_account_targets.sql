{#- The account targets every table of docs/contract.md section 3 reads, chosen by the
    policy's allocation.targets_basis (section 3b): bottom_up (the default) the
    account_targets extract, exactly as always; allocated the final targets of
    account_target_allocation (int_final_account_targets, same shape, corporate
    currency), a null final target being a missing target as before. -#}

{%- set basis_targets = ref('int_final_account_targets')
    if var('targets_basis') == 'allocated' else ref('stg_account_targets') %}

with

account_targets as (

    select * from {{ basis_targets }}

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
