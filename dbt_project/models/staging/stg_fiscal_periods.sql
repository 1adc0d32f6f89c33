with

source as (

    select * from {{ source('raw', 'fiscal_periods') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        period,

        ----------  numerics
        cast(fiscal_year as integer) as fiscal_year,

        ----------  dates
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
