-- The incremental fct_incidents must equal a full recompute of its upstream,
-- the non-incremental int_incidents__enriched, row for row (except both ways, on each
-- row's id and fingerprint: a difference in any column of a row lists its id).
-- (The aliases name the whole row for row_fingerprint, hence the noqa.)
-- A failure after editing the sla_targets seed means `--full-refresh` is due.

with

incremental_rows as (

    select
        incident_id,
        {{ row_fingerprint('incremental_row') }} as row_fingerprint

    from {{ ref('fct_incidents') }} as incremental_row  -- noqa: AL05

),

recomputed_rows as (

    select
        incident_id,
        {{ row_fingerprint('recomputed_row') }} as row_fingerprint

    from {{ ref('int_incidents__enriched') }} as recomputed_row  -- noqa: AL05

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
