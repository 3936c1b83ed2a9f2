"""Property-based: any record the API contract allows goes through ingestion and staging.

Records are generated from the incident/dashboard schemas of the project's own contract
(`ingestion/api_contract.json`, a JSON Schema that tests/ingestion/test_contract.py holds
against the vendor's OpenAPI spec where that file is present), so this runs everywhere:
every nullable field null, set or absent, empty and long arrays, unicode text, ISO `*_at`
timestamps, plus unknown extra attributes. Each example is served by a JSON:API server on
loopback and loaded through the production path (the REST source with its record checks and
Arrow steps, the pipeline's extract/normalize/load) into one temporary DuckDB, and must
arrive whole: every record, every list item, every unknown field as a column. One dbt build
of the staging models then runs over everything loaded (the generic `accepted_values` tests
are left out: the contract types `kind`/`status` as free text, which those tests reject on
purpose).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion import deletions
from ingestion.contract import ATTRIBUTES_SCHEMA, CONTRACT, REQUIRED_ATTRIBUTES
from ingestion.http import ApiSession, RetryPolicy
from ingestion.load import load as load_steps
from ingestion.records import RecordShapeError
from ingestion.settings import load_settings
from ingestion.source import Backfill, analytics_api_source
from ingestion.summary import StepTimer
from tests.ingestion.jsonapi_server import jsonapi_server
from tests.ingestion.records_factory import dashboard, incident
from tests.workspace import REPO_ROOT

# a dlt load per example and one dbt build: ~1 minute; one xdist worker runs the module
# (`just test` uses --dist loadgroup), so the examples are loaded once
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("record_properties")]

DEFS = CONTRACT["$defs"]

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
LONG_TEXT = st.text(min_size=300, max_size=1000)
KEY = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
TIMESTAMP = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
)
ids = itertools.count()

# The staging models over what this test loads (incidents and dashboards; the other
# resources' models are built over their own records elsewhere).
INCIDENT_AND_DASHBOARD_STAGING = (
    "stg_analytics_api__incidents",
    "stg_analytics_api__incident_services",
    "stg_analytics_api__incident_environments",
    "stg_analytics_api__incident_teams",
    "stg_analytics_api__incident_deletions",
    "stg_analytics_api__dashboards",
)


def resolve(schema: dict) -> tuple[dict, bool]:
    """(the schema behind `$ref`s and a null union, whether null is allowed)."""
    nullable = False
    if "anyOf" in schema:  # `{"anyOf": [X, {"type": "null"}]}`: a nullable X
        members = [m for m in schema["anyOf"] if m.get("type") != "null"]
        nullable = len(members) < len(schema["anyOf"])
        assert len(members) == 1, f"unsupported anyOf: {schema}"
        schema = members[0]
    if "$ref" in schema:
        inner, inner_nullable = resolve(DEFS[schema["$ref"].removeprefix("#/$defs/")])
        return inner, nullable or inner_nullable
    types = schema.get("type")
    if isinstance(types, list):  # `"type": ["string", "null"]`
        nullable = nullable or "null" in types
        rest = [t for t in types if t != "null"]
        assert len(rest) == 1, f"unsupported type list: {schema}"
        schema = {**schema, "type": rest[0]}
    return schema, nullable


def is_nullable(schema: dict) -> bool:
    return resolve(schema)[1]


def strategy(name: str, schema: dict, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value for one property: its type, enum, nullability; `*_at` strings are ISO times."""
    schema, nullable = resolve(schema)
    if "enum" in schema:
        base: st.SearchStrategy[Any] = st.sampled_from([v for v in schema["enum"] if v])
    elif schema.get("type") == "string":
        long = [LONG_TEXT] if depth == 0 else []
        base = TIMESTAMP if name.endswith("_at") else st.one_of(TEXT, *long)
    elif schema.get("type") == "integer":
        base = st.integers(-(2**63), 2**63 - 1)
    elif schema.get("type") == "boolean":
        base = st.booleans()
    elif schema.get("type") == "array":
        items = schema.get("items", {"type": "string"})
        item = strategy(name, items, depth + 1)
        # related documents (`$ref`s) carry ids: one item per id, as the API sends them
        unique = (lambda v: v["data"]["id"]) if "$ref" in items else None
        lists = [st.just([]), st.lists(item, min_size=1, max_size=3, unique_by=unique)]
        if depth == 0:  # long lists at the top level only, or examples get huge
            lists.append(st.lists(item, min_size=25, max_size=30, unique_by=unique))
        base = st.one_of(*lists)
    elif schema.get("type") == "object" and "properties" in schema:
        base = st.fixed_dictionaries(
            {k: strategy(k, v, depth + 1) for k, v in schema["properties"].items()}
        )
    elif name == "labels":  # free-form key/value labels, kept as one JSON column
        base = st.dictionaries(TEXT, TEXT, max_size=5)
    else:  # a free-form object (e.g. `user`): simple keys, text values
        base = st.dictionaries(KEY, TEXT, max_size=4)
    return st.one_of(st.none(), base) if nullable else base


def record(resource: str, schema: dict) -> st.SearchStrategy[dict]:
    """A record of `resource`: required attributes always there, a nullable one null, set
    or absent (JSON:API servers commonly leave out null attributes)."""
    required = REQUIRED_ATTRIBUTES[resource]
    properties = {k: v for k, v in schema["properties"].items() if k != "id"}
    always = {k: v for k, v in properties.items() if k in required or not is_nullable(v)}
    maybe = {k: v for k, v in properties.items() if k not in always}
    attributes = st.fixed_dictionaries(
        {k: strategy(k, v) for k, v in always.items()},
        optional={k: strategy(k, v) for k, v in maybe.items()},
    )
    extras = st.dictionaries(KEY.map(lambda k: f"zz_extra_{k}"), TEXT, max_size=3)
    return st.tuples(attributes, extras).map(
        lambda pair: {
            "id": f"gen-{next(ids)}-\u00e9\u6f22",
            "type": resource,
            "attributes": pair[0] | pair[1],
        }
    )


INCIDENT = record("incidents", DEFS[ATTRIBUTES_SCHEMA["incidents"]])
DASHBOARD = record("dashboards", DEFS[ATTRIBUTES_SCHEMA["dashboards"]])
LISTS = ("services", "environments", "groups")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("properties")
    pipeline = dlt.pipeline(
        pipeline_name="reliability_properties",
        destination=dlt.destinations.duckdb(credentials=str(root / "warehouse.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(root / "pipelines"),
    )
    return {"root": root, "pipeline": pipeline, "loaded": 0}


def load(pipeline, incidents: list[dict], dashboards: list[dict]) -> None:
    """Through the production path: a JSON:API server on loopback, the project's REST
    source with its record checks, cursor step and Arrow steps, and the pipeline's load.

    Incidents go through a backfill over every possible `updated_at` (a backfill keeps no
    cursor), so each example loads whole whatever the previous examples' timestamps were.
    """
    settings = load_settings().with_overrides(page_size=50)
    with jsonapi_server({"incidents": incidents, "dashboards": dashboards}) as server:
        session = ApiSession(server.base_url, RetryPolicy(backoff_factor=0.01, timeout=5))
        full = analytics_api_source(settings, server.base_url, "fixture-token", session)
        backfill = analytics_api_source(
            settings, server.base_url, "fixture-token", session, backfill=EVERY_UPDATE
        )
        load_steps(pipeline, full.with_resources("dashboards"), StepTimer(), full_refresh=False)
        load_steps(pipeline, backfill, StepTimer(), full_refresh=False)
    # the deletion check's table, empty: the staging models read it
    deletions_resource = dlt.resource(
        [dlt.mark.materialize_table_schema()],
        name=deletions.RESOURCE,
        write_disposition="replace",
        columns=json.loads(json.dumps(deletions.COLUMNS)),
    )
    pipeline.run([deletions_resource], loader_file_format="parquet")


EVERY_UPDATE = Backfill("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    incidents=st.lists(INCIDENT, min_size=1, max_size=4),
    dashboards=st.lists(DASHBOARD, min_size=1, max_size=3),
)
def load_every_example(warehouse, incidents, dashboards):
    """One hypothesis example: it must pass the record check and arrive whole."""
    try:
        load(warehouse["pipeline"], incidents, dashboards)
    except RecordShapeError as err:  # a contract-valid record must never be rejected
        pytest.fail(f"contract-valid record rejected: {err}")
    warehouse["loaded"] += 1
    path = warehouse["pipeline"].destination_client().config.credentials.database
    with duckdb.connect(path, read_only=True) as con:
        batch = [r["id"] for r in incidents]
        got = con.execute("select count(*) from raw.incidents where id in ?", [batch]).fetchone()
        assert got[0] == len(incidents)
        for name in LISTS:
            expected = sum(len(r["attributes"].get(name) or []) for r in incidents)
            table = f"incidents__attributes__{name}"
            exists = con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = 'raw' and table_name = ?",
                [table],
            ).fetchone()[0]
            rows = 0
            if exists:
                rows = con.execute(
                    f"select count(*) from raw.{table} c join raw.incidents i"
                    " on c._dlt_root_id = i._dlt_id where i.id in ?",
                    [batch],
                ).fetchone()[0]
            assert rows == expected, f"{table}: list items dropped"
        current = con.execute(
            "select id from raw.dashboards where _dlt_valid_to is null"
        ).fetchall()
        assert sorted(i for (i,) in current) == sorted(r["id"] for r in dashboards)
        columns = {
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'raw' and table_name = 'incidents'"
            ).fetchall()
        }
        for r in incidents:
            for key, value in r["attributes"].items():
                if key.startswith("zz_extra_") and value is not None:
                    assert f"attributes__{key}" in columns, f"unknown field {key} dropped"
                    stored = con.execute(
                        f"select attributes__{key} from raw.incidents where id = ?", [r["id"]]
                    ).fetchone()[0]
                    assert stored == value


@pytest.fixture(scope="module")
def loaded(warehouse):
    """Every hypothesis example loaded (and checked) into the module's warehouse, once,
    whichever of the tests below runs first."""
    load_every_example(warehouse)
    return warehouse


def test_spec_records_pass_the_check_and_load_whole(loaded):
    assert loaded["loaded"] >= 1  # each example asserted on its own load above


@pytest.fixture(scope="module")
def staging_build(loaded):
    """One `dbt build` of the incident and dashboard staging models over everything the property
    test loaded."""
    warehouse = loaded
    root = warehouse["root"]
    # one record with an item in every list, so each child table the staging models read
    # exists however the examples came out
    full = incident(10**6)
    for name in LISTS:
        full["attributes"][name] = [
            {"data": {"id": f"{name}-1", "type": name, "attributes": {"name": "n", "slug": "s"}}}
        ]
    load(warehouse["pipeline"], [full], [dashboard(10**6)])
    path = str(root / "warehouse.duckdb")
    env = dict(
        os.environ,
        DESTINATION__DUCKDB__CREDENTIALS=path,
        DBT_TARGET_PATH=str(root / "dbt_target"),
        DBT_LOG_PATH=str(root / "dbt_logs"),
    )
    env.pop("DLT__CREDENTIALS__DATABASE", None)
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "-s",
            *INCIDENT_AND_DASHBOARD_STAGING,
            "--indirect-selection",
            "cautious",  # not the tests that also read other resources' models
            "--exclude",
            "test_name:accepted_values",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = json.loads((root / "dbt_target" / "run_results.json").read_text())["results"]
    return {"path": path, "result": result, "results": results}


def _failed(staging_build, kind: str) -> list[str]:
    return [
        f"{r['unique_id']}: {r['status']} {r.get('message')}"
        for r in staging_build["results"]
        if r["unique_id"].startswith(kind) and r["status"] not in ("success", "pass")
    ]


def test_staging_models_build_over_every_generated_record(staging_build):
    assert _failed(staging_build, "model.") == [], staging_build["result"].stdout[-4000:]
    with duckdb.connect(staging_build["path"], read_only=True) as con:

        def count(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        assert count("select count(*) from staging.stg_analytics_api__incidents") == count(
            "select count(*) from raw.incidents"
        )
        assert count("select count(*) from staging.stg_analytics_api__dashboards") == count(
            "select count(distinct id) from raw.dashboards"
        )
        for model, table in (
            ("incident_services", "services"),
            ("incident_environments", "environments"),
            ("incident_teams", "groups"),
        ):
            assert count(f"select count(*) from staging.stg_analytics_api__{model}") == count(
                f"select count(*) from raw.incidents__attributes__{table}"
            )


def test_staging_tests_accept_every_spec_valid_record(staging_build):
    assert _failed(staging_build, "test.") == []
