{{ config(materialized='table') }}

{#- The recursion differs by engine: see macros/territory_closure.sql. -#}

{{ territory_closure(ref('stg_territories')) }}
