with

fx_rates as (

    select * from {{ ref('stg_fx_rates') }}

),

corporate_currency as (

    select
        '{{ var("corporate_currency") }}' as currency_iso,
        cast(1 as decimal(18, 10)) as rate_to_corporate

),

corporate_currency_when_absent as (

    select corporate_currency.*

    from corporate_currency

    left join fx_rates
        on corporate_currency.currency_iso = fx_rates.currency_iso

    where fx_rates.currency_iso is null

),

rates as (

    select
        currency_iso,
        rate_to_corporate
    from fx_rates

    union all

    select
        currency_iso,
        rate_to_corporate
    from corporate_currency_when_absent

)

select * from rates
