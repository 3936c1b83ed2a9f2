# dlt + dbt ELT: an incident/analytics JSON:API -> DuckDB -> dbt marts.
# Every recipe runs from the repository root; `uv run just <recipe>` uses the locked venv.

set dotenv-load := false
set positional-arguments := true

# list the recipes
default:
    @just --list

# load the API (the demo API unless base_url is set) and build the marts; full_refresh=true reloads all
elt *args:
    @uv run python -m cli elt "$@"

# the whole test suite: pytest (all layers, end to end included, 2 workers) and lint
test *args: lint
    uv run pytest -n 2 --dist loadgroup "$@"

# sqlfluff on the dbt SQL (one process per core: 24 s instead of 40 s on two), ruff on the Python
lint:
    uv run ruff check .
    uv run ruff format --check .
    DESTINATION__DUCKDB__CREDENTIALS=:memory: uv run sqlfluff lint --processes 0 transform tests/dbt

# generate the dbt docs and serve them (lineage from raw sources to marts)
docs port="8080":
    @uv run python -m cli docs --port "$1"

# run SQL read-only on the warehouse: a table, or --format csv|json|parquet [--output PATH], e.g. just query "select * from marts.dim_teams"
query sql *args:
    @uv run python -m cli query "$@"

# open the warehouse read-only in harlequin, a terminal SQL IDE (extra args go to harlequin)
shell *args:
    @uv run python -m cli shell "$@"

# write one self-contained HTML report of the marts' charts (default: report.html beside the warehouse)
report *args:
    @uv run python -m cli report "$@"

# last ELT run, rows per mart, incremental cursors and source freshness, read-only
status *args:
    @uv run python -m cli status "$@"

# run the demo API in the foreground (python -m ingestion.demo_api serve --help for flags)
demo-api *args:
    @uv run python -m ingestion.demo_api serve "$@"

# benchmark the ELT against a minimal client and a bare dbt build (--quick, --large, --help)
bench *args:
    @uv run python -m bench "$@"
