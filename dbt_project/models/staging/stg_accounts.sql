with

source as (

    select * from {{ source('raw', 'accounts') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        account_id,
        owner_seller_id,
        territory_id,

        ----------  text
        account_name,
        segment,
        industry,

        ----------  numerics
        cast(annual_revenue as decimal(18, 6)) as annual_revenue,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
