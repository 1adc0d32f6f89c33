with

quotas as (

    select * from {{ ref('stg_quotas') }}

),

sellers as (

    select * from {{ ref('stg_sellers') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

quotas_in_corporate_currency as (

    select
        quotas.seller_id,
        quotas.period,
        sellers.territory_id,
        {{ to_corporate('quotas.quota_amount', 'fx_rates.rate_to_corporate') }}
            as quota_amount_corp

    from quotas

    inner join sellers
        on quotas.seller_id = sellers.seller_id

    left join fx_rates
        on quotas.currency_iso = fx_rates.currency_iso

)

select * from quotas_in_corporate_currency
