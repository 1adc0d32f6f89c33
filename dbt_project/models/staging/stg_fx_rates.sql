with

source as (

    select * from {{ source('raw', 'fx_rates') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        currency_iso,

        ----------  numerics
        cast(rate_to_corporate as decimal(18, 10)) as rate_to_corporate,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
