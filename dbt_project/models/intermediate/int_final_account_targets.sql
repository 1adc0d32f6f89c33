{#- The final target of every account-period of account_target_allocation (docs/contract.md
    section 3b) in the shape of stg_account_targets: int_account_targets reads it instead
    of the extract when allocation.targets_basis is allocated. Already in the corporate
    currency (rate 1), so section 3's conversion leaves every amount as it is. -#}

with

account_target_allocation as (

    select * from {{ ref('account_target_allocation') }}

),

final_account_targets as (

    select
        account_id,
        period,
        '{{ var("corporate_currency") }}' as currency_iso,
        cast(final_target as decimal(18, 6)) as target_amount

    from account_target_allocation

)

select * from final_account_targets
