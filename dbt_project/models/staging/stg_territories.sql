with

source as (

    select * from {{ source('raw', 'territories') }}

    where not _is_quarantined

),

renamed as (

    select

        ----------  ids
        territory_id,
        parent_territory_id,

        ----------  text
        territory_name,
        level,

        ----------  lineage
        _source_line as source_line

    from source

)

select * from renamed
