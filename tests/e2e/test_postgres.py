"""The same pipeline and models on PostgreSQL: every mart identical to DuckDB's, row for row."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import duckdb
import pytest

from tests.marts import MARTS
from tests.workspace import DEMO_SIZE, Workspace

# one xdist worker runs this module, so its module fixture (whole ELT runs) runs once
# on the worker of the session's demo ELT, whose DuckDB warehouse these tests compare with
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("demo_elt")]

psycopg2 = pytest.importorskip("psycopg2")

SERVER = "postgres:postgres@127.0.0.1:5432"  # trust auth on these machines; dlt wants a password


def admin_connection():
    try:
        con = psycopg2.connect(f"postgresql://{SERVER}/postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({exc})")
    con.autocommit = True
    return con


@pytest.fixture(scope="module")
def database():
    """A database of its own for this test run, dropped afterwards."""
    name = f"elt_test_{uuid.uuid4().hex[:10]}"
    admin = admin_connection()
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


def normalise(value):
    """One representation per value on both engines: UTC ISO timestamps, rounded floats."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 6)
    return value


# dlt's load id and scd2 validity times name the load that brought a row into *that*
# warehouse, and `as_of` is when that warehouse's latest load finished: bookkeeping that
# differs between any two loads by design, not data. (The flags computed as of that time,
# such as `is_overdue`, are compared: both loads run on the same day.)
BOOKKEEPING = {"dlt_load_id", "valid_from", "valid_to", "as_of"}


def rows_of(fetch, table: str) -> tuple[list[str], list[tuple]]:
    columns, rows = fetch(f"select * from marts.{table}")
    keep = [i for i, name in enumerate(columns) if name not in BOOKKEEPING]
    normalised = [tuple(normalise(row[i]) for i in keep) for row in rows]
    return [columns[i] for i in keep], sorted(normalised, key=repr)


@pytest.fixture(scope="module")
def both_targets(tmp_path_factory, database, demo_elt):
    """The same demo data on PostgreSQL and on DuckDB (the session's demo ELT)."""
    on_duckdb, duck = demo_elt
    on_postgres = Workspace(tmp_path_factory.mktemp("postgres"))
    on_postgres.own_project()  # the last test edits its SLA seed
    credentials = f"postgresql://{SERVER}/{database}"
    pg = on_postgres.just(
        "elt", "target=postgres", **DEMO_SIZE, DESTINATION__POSTGRES__CREDENTIALS=credentials
    )
    return on_duckdb, duck, credentials, pg, on_postgres


def test_elt_runs_on_postgres(both_targets):
    _, duck, _, pg, _ = both_targets
    assert duck.returncode == 0, duck.stderr
    assert pg.returncode == 0, pg.stderr
    assert "postgres (127.0.0.1:5432/" in pg.stdout


@pytest.mark.parametrize("table", MARTS)
def test_mart_is_identical_on_duckdb_and_postgres(both_targets, table):
    on_duckdb, _, credentials, _, _ = both_targets

    def from_duckdb(sql):
        with duckdb.connect(str(on_duckdb.duckdb_path), read_only=True) as con:
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def from_postgres(sql):
        with psycopg2.connect(credentials) as con, con.cursor() as cur:
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()

    duck_columns, duck_rows = rows_of(from_duckdb, table)
    pg_columns, pg_rows = rows_of(from_postgres, table)
    assert duck_columns == pg_columns
    assert len(duck_rows) > 0
    assert duck_rows == pg_rows


def test_the_run_ledger_is_written_on_postgres(both_targets):
    _, _, credentials, _, _ = both_targets
    with psycopg2.connect(credentials) as con, con.cursor() as cur:
        cur.execute("select status from ops.elt_runs")
        assert cur.fetchall() == [("success",)]


def test_just_query_reads_postgres_read_only(both_targets):
    on_duckdb, _, credentials, _, _ = both_targets
    env = {"ELT__TARGET": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": credentials}
    counted = on_duckdb.just("query", "select count(*) as n from marts.fct_incidents", **env)
    assert counted.returncode == 0, counted.stderr
    assert "(1 row" in counted.stdout
    refused = on_duckdb.just("query", "drop table marts.fct_incidents", **env)
    assert refused.returncode == 1
    assert "read-only" in refused.stderr


def test_a_change_batch_leaves_no_orphan_child_rows_on_postgres(both_targets):
    """Runs last: it adds a second run to the PostgreSQL warehouse the tests above read."""
    _, _, credentials, _, on_postgres = both_targets
    on_postgres.apply_demo_changes(1)
    rerun = on_postgres.just(
        "elt", "target=postgres", **DEMO_SIZE, DESTINATION__POSTGRES__CREDENTIALS=credentials
    )
    assert rerun.returncode == 0, rerun.stderr
    with psycopg2.connect(credentials) as con, con.cursor() as cur:
        for child in ("services", "environments", "groups"):
            cur.execute(
                f"select count(*) from raw.incidents__attributes__{child}"
                " where _dlt_parent_id not in (select _dlt_id from raw.incidents)"
            )
            assert cur.fetchall() == [(0,)], child


def test_a_seed_edit_reaches_every_incident_on_postgres(both_targets):
    """Runs after the change batch: an edited SLA target recomputes the incremental
    `fct_incidents` on PostgreSQL too (where raw is not digested), old incidents included."""
    _, _, credentials, _, on_postgres = both_targets
    seed = on_postgres.project / "transform" / "seeds" / "sla_targets.csv"
    seed.write_text(seed.read_text().replace("critical,60,", "critical,30,"))
    rerun = on_postgres.just(
        "elt", "target=postgres", **DEMO_SIZE, DESTINATION__POSTGRES__CREDENTIALS=credentials
    )
    assert rerun.returncode == 0, rerun.stderr
    with psycopg2.connect(credentials) as con, con.cursor() as cur:
        cur.execute(
            "select distinct sla_target_minutes from marts.fct_incidents"
            " where severity_level = 'critical'"
        )
        assert cur.fetchall() == [(30,)]
