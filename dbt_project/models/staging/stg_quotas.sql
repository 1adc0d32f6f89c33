with

source as (

    select * from {{ source('raw', 'quotas') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        seller_id,
        period,

        ----------  text
        currency_iso,

        ----------  numerics
        cast(quota_amount as decimal(18, 6)) as quota_amount,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
