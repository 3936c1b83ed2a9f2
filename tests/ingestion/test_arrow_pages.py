"""Records to Arrow tables: the same tables, columns and links dlt's JSON path would make."""

from __future__ import annotations

import dlt
import pyarrow as pa
import pytest
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_table

from ingestion.arrow_pages import (
    BatchPages,
    PagesToArrow,
    TimestampError,
    child_tables,
)
from ingestion.dlt_internals import adopt_nested_tables

HINTS = {
    "id": {"data_type": "text", "nullable": False},
    "attributes__created_at": {"data_type": "timestamp"},
    "attributes__labels": {"data_type": "json"},
    "attributes__priority": {"data_type": "bigint"},
}


def convert(records: list[dict], hints: dict | None = None) -> dict[str, tuple[str | None, list]]:
    """table name -> (parent table, rows as dicts)."""
    resource = dlt.resource([], name="incidents")
    step = PagesToArrow(resource, HINTS if hints is None else hints)
    return {name: (parent, t.to_pylist()) for name, parent, t in step.tables(records)}


def record(n: int, **attributes) -> dict:
    base = {"created_at": "2026-01-01T00:00:00Z", "labels": None, "priority": 1}
    return {"id": f"inc-{n}", "type": "incidents", "attributes": base | attributes}


def test_nested_objects_become_double_underscore_columns():
    tables = convert([record(1, severity={"data": {"id": "sev-1", "attributes": {"rank": 2}}})])
    (row,) = tables["incidents"][1]
    assert row["attributes__severity__data__id"] == "sev-1"
    assert row["attributes__severity__data__attributes__rank"] == 2


def test_lists_become_child_tables_linked_to_their_row():
    tables = convert(
        [
            record(1, services=[{"data": {"id": "a"}}, {"data": {"id": "b"}}]),
            record(2, services=[{"data": {"id": "c"}}]),
        ]
    )
    roots = {row["id"]: row["_dlt_id"] for row in tables["incidents"][1]}
    parent, children = tables["incidents__attributes__services"]
    assert parent == "incidents"
    linked = [(c["_dlt_parent_id"], c["_dlt_list_idx"], c["data__id"]) for c in children]
    assert linked == [(roots["inc-1"], 0, "a"), (roots["inc-1"], 1, "b"), (roots["inc-2"], 0, "c")]
    assert all(c["_dlt_root_id"] == c["_dlt_parent_id"] for c in children)


def test_lists_inside_list_elements_become_grandchild_tables():
    tables = convert([record(1, services=[{"tags": ["x", "y"]}])])
    parent, grandchildren = tables["incidents__attributes__services__tags"]
    (service,) = tables["incidents__attributes__services"][1]
    assert parent == "incidents__attributes__services"
    assert [g["value"] for g in grandchildren] == ["x", "y"]
    assert {g["_dlt_parent_id"] for g in grandchildren} == {service["_dlt_id"]}
    assert {g["_dlt_root_id"] for g in grandchildren} == {service["_dlt_root_id"]}


def test_row_keys_are_unique_across_root_and_child_rows():
    tables = convert([record(n, groups=[{"id": 1}, {"id": 2}]) for n in range(50)])
    root_keys = [r["_dlt_id"] for r in tables["incidents"][1]]
    child_keys = [r["_dlt_id"] for r in tables["incidents__attributes__groups"][1]]
    assert len(set(root_keys)) == 50
    assert len(set(child_keys)) == 100


def test_lists_of_scalars_get_a_value_column():
    tables = convert([record(1, tags=["db", "eu"])])
    assert [r["value"] for r in tables["incidents__attributes__tags"][1]] == ["db", "eu"]


def test_empty_and_null_lists_make_no_child_rows():
    tables = convert([record(1, services=[]), record(2, services=None)])
    assert "incidents__attributes__services" not in tables


def test_hinted_timestamps_are_parsed_to_utc():
    tables = convert([record(1, created_at="2026-01-01T02:00:00.250+02:00")])
    (row,) = tables["incidents"][1]
    assert row["attributes__created_at"].isoformat() == "2026-01-01T00:00:00.250000+00:00"


def test_a_timestamp_without_offset_is_read_as_utc():
    tables = convert([record(1, created_at="2026-01-01T00:00:00")])
    (row,) = tables["incidents"][1]
    assert row["attributes__created_at"].isoformat() == "2026-01-01T00:00:00+00:00"


def test_an_unparseable_timestamp_names_the_column():
    with pytest.raises(TimestampError, match="attributes__created_at holds 'yesterday'"):
        convert([record(1, created_at="yesterday")])


def test_a_json_hinted_object_stays_one_column():
    tables = convert([record(1, labels={"team": "db", "tier": 1})])
    (row,) = tables["incidents"][1]
    assert row["attributes__labels"] == '{"team":"db","tier":1}'
    assert not any(name.startswith("attributes__labels__") for name in row)


def test_a_hinted_column_missing_from_a_batch_is_present_and_typed():
    resource = dlt.resource([], name="incidents")
    step = PagesToArrow(resource, HINTS)
    [(_, _, table)] = list(step.tables([{"id": "inc-1", "attributes": {}}]))
    assert table.schema.field("attributes__priority").type == pa.int64()
    assert table.schema.field("attributes__created_at").type == pa.timestamp("us", tz="UTC")


def test_an_unhinted_column_that_is_always_null_is_left_out():
    tables = convert([record(1, parent_incident_id=None)])
    (row,) = tables["incidents"][1]
    assert "attributes__parent_incident_id" not in row


def test_api_keys_are_normalized_like_dlt_does():
    tables = convert([record(1, customerImpact="minor")])
    (row,) = tables["incidents"][1]
    assert row["attributes__customer_impact"] == "minor"


class Paginator:
    def __init__(self, has_next_page: bool) -> None:
        self.has_next_page = has_next_page


class Page(list):
    """What dlt's REST client yields: a list of records that knows its paginator."""

    def __init__(self, records: list, more: bool) -> None:
        super().__init__(records)
        self.paginator = Paginator(more)


def test_batch_pages_holds_pages_until_the_batch_is_full():
    step = BatchPages(rows=3)
    assert step(Page([1, 2], more=True)) is None
    assert step(Page([3, 4], more=True)) == [1, 2, 3, 4]


def test_batch_pages_passes_the_rest_on_at_the_last_page():
    step = BatchPages(rows=100)
    step(Page([1, 2], more=True))
    assert step(Page([], more=False)) == [1, 2]


def test_batch_pages_passes_through_an_item_without_a_paginator():
    step = BatchPages(rows=100)
    assert step([1]) == [1]


def schema_loaded_before_arrow() -> Schema:
    """A schema as dlt's JSON path left it: the child table nested under `incidents`."""
    schema = Schema("analytics_api")
    schema.update_table(new_table("incidents", resource="incidents", write_disposition="merge"))
    child = new_table("incidents__attributes__services", parent_table_name="incidents")
    schema.update_table(child)
    return schema


def test_nested_child_tables_of_an_earlier_load_are_adopted_in_place():
    schema = schema_loaded_before_arrow()
    assert adopt_nested_tables(schema, "incidents") == ["incidents__attributes__services"]
    table = schema.tables["incidents__attributes__services"]
    assert "parent" not in table
    assert table["resource"] == "incidents"
    assert child_tables(schema) == {"incidents__attributes__services": "incidents"}


def test_adopting_twice_changes_nothing_more():
    schema = schema_loaded_before_arrow()
    adopt_nested_tables(schema, "incidents")
    assert adopt_nested_tables(schema, "incidents") == []
