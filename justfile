# dlt + dbt ELT: an incident/analytics JSON:API -> DuckDB -> dbt marts.
# Every recipe runs from the repository root; `uv run just <recipe>` uses the locked venv.

set dotenv-load := false
set positional-arguments := true

# list the recipes
default:
    @just --list

# load the API (the demo API unless base_url is set) and build the marts; full_refresh=true reloads all
elt *args:
    uv run python -m ingestion.cli elt "$@"

# the whole test suite: pytest (all layers, end to end included) and lint
test *args: lint
    uv run pytest "$@"

# sqlfluff on the dbt SQL, ruff on the Python
lint:
    uv run ruff check .
    uv run ruff format --check .
    DESTINATION__DUCKDB__CREDENTIALS=:memory: uv run sqlfluff lint transform tests/dbt

# generate the dbt docs and serve them (lineage from raw sources to marts)
docs port="8080":
    uv run dbt docs generate
    uv run dbt docs serve --port "$1"

# run SQL read-only against the warehouse and print a table, e.g. just query "select count(*) from raw.incidents"
query sql:
    uv run python -m ingestion.cli query "$1"

# run the demo API in the foreground (python -m ingestion.demo_api serve --help for flags)
demo-api *args:
    uv run python -m ingestion.demo_api serve "$@"

# benchmark the ELT against a minimal client and a bare dbt build (--quick, --large, --help)
bench *args:
    uv run python -m bench "$@"
