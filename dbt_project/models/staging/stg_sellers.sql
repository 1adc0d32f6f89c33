with

source as (

    select * from {{ source('raw', 'sellers') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        seller_id,
        territory_id,

        ----------  text
        seller_name,
        role,
        seniority,
        strategic_focus,
        status,
        currency_iso,

        ----------  numerics
        cast(ote_amount as decimal(18, 6)) as ote_amount,

        ----------  dates
        cast(hire_date as date) as hire_date,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
