with

source as (

    select * from {{ source('raw', 'target_overrides') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        account_id,
        period,

        ----------  text
        currency_iso,
        reason as override_reason,
        overridden_by,

        ----------  numerics
        cast(target_amount as decimal(18, 6)) as target_amount,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
