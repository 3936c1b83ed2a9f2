-- The incremental fct_incidents must equal a full recompute of its upstream,
-- the non-incremental int_incidents__enriched, row for row (except both ways).
-- A failure after editing the sla_targets seed means `--full-refresh` is due.

with

incremental_rows as (

    select * from {{ ref('fct_incidents') }}

),

recomputed_rows as (

    select * from {{ ref('int_incidents__enriched') }}

),

missing_from_incremental as (

    select * from recomputed_rows
    except
    select * from incremental_rows

),

unexpected_in_incremental as (

    select * from incremental_rows
    except
    select * from recomputed_rows

),

differences as (

    select
        'missing_from_fct_incidents' as difference,
        missing_from_incremental.*
    from missing_from_incremental

    union all

    select
        'unexpected_in_fct_incidents' as difference,
        unexpected_in_incremental.*
    from unexpected_in_incremental

)

select * from differences
