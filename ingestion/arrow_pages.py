"""High-volume resources handed to dlt as Arrow tables, shaped like dlt's own unnesting.

Why: dlt normalizes JSON records one row at a time in Python (type coercion, flattening,
re-reading its own files); at 100,000 incidents that was over half of the ingest time. Given
Arrow tables, dlt writes parquet in the extract step and its normalize step only moves files.
This module does in bulk the one thing dlt's JSON path did for us: nested objects become
`parent__child` columns and lists become child tables (`incidents__attributes__services`)
linked by `_dlt_root_id`/`_dlt_parent_id`/`_dlt_list_idx`, with dlt's names and keys, so
the raw tables the dbt sources read keep their shape.

Two steps on the resource's pipe:
- `BatchPages` (first) joins pages into batches of `BATCH_ROWS` records: dlt computes a table
  schema for every Arrow item (about 7 ms each), far too often at one item per 100-record page.
- `PagesToArrow` (last, after the record checks and the incremental filter, which both want
  plain dicts) turns a batch into one Arrow table per table.

dlt cannot take nested (child) tables from the extract step (its extract metrics group tables
by resource, which a nested table may not carry), so child tables are plain tables of the
resource here, appended to, and tagged with `x-nested-in`. `prune_orphans` then does what
dlt's nested merge did: after each load it deletes child rows whose root row was replaced.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import dlt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming import snake_case
from dlt.common.schema import Schema
from dlt.extract.items_transform import ItemTransform
from dlt.extract.resource import DltResource

# dlt's relational normalizer columns (names as in dlt's default naming convention)
ROW_KEY, PARENT_KEY, ROOT_KEY, LIST_IDX, LOAD_ID = (
    "_dlt_id",
    "_dlt_parent_id",
    "_dlt_root_id",
    "_dlt_list_idx",
    "_dlt_load_id",
)
SEP = "__"
NESTED_IN = "x-nested-in"  # table hint on a child table: the table its rows belong to
BATCH_ROWS = 10_000  # records per Arrow item: one schema computation per 10k rows, ~20 MB
_NAMING = snake_case.NamingConvention()

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "double": pa.float64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),  # serialized; dlt types the column from the hint
}

# What dlt's JSON path marks on a root table that has child tables.
ROOT_COLUMNS: dict[str, dict[str, Any]] = {
    ROW_KEY: {"data_type": "text", "nullable": False, "row_key": True, "unique": True},
}


def child_columns() -> dict[str, dict[str, Any]]:
    """The link columns of a child table (a fresh dict: dlt writes into the one it gets)."""
    return {
        ROOT_KEY: {"data_type": "text", "nullable": False, "root_key": True},
        PARENT_KEY: {"data_type": "text", "nullable": False, "parent_key": True},
        LIST_IDX: {"data_type": "bigint", "nullable": False},
        ROW_KEY: {"data_type": "text", "nullable": False, "row_key": True, "unique": True},
    }


class ArrowShapeError(ValueError):
    """A batch of records cannot be turned into Arrow tables as it is."""


class TimestampError(ArrowShapeError):
    """A value in a timestamp column is not an ISO-8601 timestamp."""


class BatchPages(ItemTransform[Any, dict[str, Any]]):
    """Pass pages on in batches of at least `rows` records, and always at the last page.

    The last page is the one after which the paginator has no next page; dlt's REST client
    yields every page it fetches, that one included, so nothing is held back at the end.
    """

    placement_affinity: ClassVar[float] = -1  # right after the page generator

    def __init__(self, rows: int = BATCH_ROWS) -> None:
        super().__init__(lambda item: item)
        self.rows = rows
        self._buffer: list[Any] = []

    def __call__(self, item: Any, meta: Any = None) -> Any:
        if not isinstance(item, list):
            return item
        self._buffer.extend(item)
        paginator = getattr(item, "paginator", None)
        last = paginator is None or not paginator.has_next_page
        if not last and len(self._buffer) < self.rows:
            return None  # held: dlt drops a None and asks for the next page
        batch, self._buffer = self._buffer, []
        return batch or None


class PagesToArrow(ItemTransform[Any, dict[str, Any]]):
    """One batch of records in, one Arrow table per table out (root first, then children).

    `columns` are the resource's column hints: they fix the Arrow type of the known columns
    (timestamps parsed in C++, `json` columns kept whole and serialized) and keep those
    columns present and typed even in a batch where they are all null.
    """

    # after the incremental filter (1) and `add_limit` (1.1): they need the plain records
    placement_affinity: ClassVar[float] = 1.5

    def __init__(self, resource: DltResource, columns: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(lambda item: item)
        self.resource = resource
        self.table = resource.name
        self.types = {name: ARROW_TYPES[hint["data_type"]] for name, hint in columns.items()}
        self.json_paths = [
            tuple(name.split(SEP)) for name, hint in columns.items() if hint["data_type"] == "json"
        ]
        self._names: dict[str, str] = {}
        self._declared: set[str] = set()

    def __call__(self, item: Any, meta: Any = None) -> Iterator[Any] | Any:
        if isinstance(item, dict):
            item = [item]
        if not isinstance(item, list) or not item:
            return item  # already Arrow, or nothing to convert
        load_id = _current_load_id()
        out: list[Any] = []
        for name, parent, table in self.tables(item):
            if load_id is not None:
                table = table.append_column(LOAD_ID, pa.array([load_id] * len(table), pa.string()))
            if parent is None:
                out.append(table)
            else:
                self._declare_child(name, parent)
                out.append(dlt.mark.with_table_name(table, name))
        return iter(out)  # dlt takes each element of a returned iterator as one item

    def tables(self, records: list[dict[str, Any]]) -> Iterator[tuple[str, str | None, pa.Table]]:
        """(table name, parent table or None, rows) for the root table and each child table.

        pyarrow infers one nested type for the whole batch in C++; flattening structs and
        exploding lists are then column operations, not a loop over rows.
        """
        for path in self.json_paths:
            _serialize_at(records, path)
        try:
            batch = pa.array(records)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ArrowShapeError(
                f"{self.table}: a field holds values of different types in one batch ({exc});"
                " nothing was loaded. Add a column hint for it in ingestion/source.py."
            ) from None
        root_ids = pa.array([_random_row_id() for _ in records], pa.string())
        yield from self._explode(batch, self.table, None, {ROW_KEY: root_ids}, root_ids)

    def _explode(
        self,
        batch: pa.StructArray,
        table: str,
        parent: str | None,
        links: dict[str, pa.Array],
        root_ids: pa.Array,
    ) -> Iterator[tuple[str, str | None, pa.Table]]:
        """One table from a struct array (nested structs become `a__b` columns), then one
        child table per list column, recursively."""
        columns: dict[str, pa.Array] = {}
        lists: dict[str, pa.Array] = {}
        self._flatten(batch, "", columns, lists)
        if parent is None:
            columns = self._typed(columns, len(batch))
        columns = {n: a for n, a in columns.items() if not pa.types.is_null(a.type)}
        columns |= links
        yield table, parent, pa.table(list(columns.values()), names=list(columns))
        row_ids = links[ROW_KEY]
        for name, values in lists.items():
            child = f"{table}{SEP}{name}"
            elements = pc.list_flatten(values)
            if not len(elements):
                continue
            parents = pc.list_parent_indices(values)
            index = _positions_in_lists(values)
            parent_ids = pc.take(row_ids, parents)
            child_links = {
                ROOT_KEY: pc.take(root_ids, parents),
                PARENT_KEY: parent_ids,
                LIST_IDX: index,
                # unique given the parent row and the position, like dlt's child row key
                ROW_KEY: pc.binary_join_element_wise(parent_ids, pc.cast(index, pa.string()), "_"),
            }
            if pa.types.is_struct(elements.type):
                yield from self._explode(elements, child, table, child_links, root_ids)
            else:
                scalar = pa.StructArray.from_arrays([elements], names=["value"])
                yield from self._explode(scalar, child, table, child_links, root_ids)

    def _flatten(
        self,
        struct: pa.StructArray,
        prefix: str,
        columns: dict[str, pa.Array],
        lists: dict[str, pa.Array],
    ) -> None:
        # StructArray.flatten() folds the struct's own nulls into its fields
        for field, values in zip(struct.type, struct.flatten(), strict=True):
            name = self._column(prefix, field.name)
            if pa.types.is_struct(field.type):
                self._flatten(values, name, columns, lists)
            elif pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
                lists[name] = values
            else:
                columns[name] = values

    def _typed(self, columns: dict[str, pa.Array], rows: int) -> dict[str, pa.Array]:
        """The hinted columns in their hinted types, present even when absent from a batch."""
        typed = dict(columns)
        for name, wanted in self.types.items():
            values = columns.get(name)
            if values is None or pa.types.is_null(values.type):
                typed[name] = pa.nulls(rows, wanted)
            elif values.type != wanted:
                if pa.types.is_timestamp(wanted):
                    typed[name] = parse_timestamps(name, values, wanted)
                else:
                    typed[name] = pc.cast(values, wanted)
        return typed

    def _declare_child(self, name: str, parent: str) -> None:
        """Give a child table its own hints, once: a table variant would otherwise start from
        the root's (merge on `id`, the typed attribute columns)."""
        if name in self._declared:
            return
        self.resource.apply_hints(
            table_name=name,
            create_table_variant=True,
            write_disposition="append",
            primary_key="",
            merge_key="",
            columns={},
        )
        self.resource.apply_hints(
            table_name=name,
            create_table_variant=True,
            columns=child_columns(),
            additional_table_hints={NESTED_IN: parent},
        )
        self._declared.add(name)

    def _column(self, prefix: str, key: str) -> str:
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = _NAMING.normalize_identifier(key)
        return f"{prefix}{SEP}{name}" if prefix else name


def _serialize_at(records: list[dict[str, Any]], path: tuple[str, ...]) -> None:
    """Replace the value at `path` in each record by its JSON text (a `json` hinted column
    stays one column, whatever keys it holds)."""
    *parents, leaf = path
    for record in records:
        node: Any = record
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf) is not None:
            node[leaf] = orjson.dumps(node[leaf]).decode()


def _positions_in_lists(lists: pa.Array) -> pa.Array:
    """Each element's index within its own list, in `pc.list_flatten` order."""
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_pylist()
    return pa.array([i for length in lengths for i in range(length)], pa.int64())


def parse_timestamps(name: str, values: pa.Array, wanted: pa.DataType) -> pa.Array:
    """ISO-8601 strings to UTC timestamps: in C++ when all carry an offset, else one by one
    (a value without an offset is UTC, as dlt reads it)."""
    try:
        return pc.cast(values, wanted)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    parsed = []
    for value in values.to_pylist():
        if value is None:
            parsed.append(None)
            continue
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise TimestampError(
                f"{name} holds {value!r}, which is not an ISO-8601 timestamp; nothing was"
                " loaded. Update the column hints in ingestion/source.py if the API changed it."
            ) from None
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return pa.array(parsed, type=wanted)


def _random_row_id() -> str:
    """A fresh `_dlt_id` per root row, as dlt makes: two versions of one record loaded
    together must not share child rows."""
    return secrets.token_urlsafe(10)


def _current_load_id() -> str | None:
    """The load package being extracted: dlt's JSON path fills `_dlt_load_id` with it."""
    try:
        return dlt.current.load_package_state()["load_id"]
    except Exception:  # iterated outside a pipeline (tests of the source alone)
        return None


def child_tables(schema: Schema) -> dict[str, str]:
    """Child table -> the table it hangs off, for the tables `PagesToArrow` wrote."""
    return {
        name: table[NESTED_IN]  # type: ignore[typeddict-item]
        for name, table in schema.tables.items()
        if NESTED_IN in table
    }


def root_table(table: str, parents: Mapping[str, str]) -> str:
    """The top-level table a child table's rows hang off (itself for a top-level table)."""
    while table in parents:
        table = parents[table]
    return table


def prune_orphans(
    sql_client: Any,
    schema: Schema,
    loaded: Collection[str] | None = None,
    checkpoint: bool = False,
) -> list[str]:
    """Delete child rows whose parent row is gone: what dlt's merge does for nested tables.

    A changed record replaces its root row (merge on `id`) under a new `_dlt_id`; its old
    child rows then point at nothing. Only a load into a root table replaces root rows, so
    with `loaded` (the tables this load wrote) only the chains under those roots are
    checked: each check reads its whole child table, which at a million records is most
    of an hour's load when nothing changed. `None` checks every chain (after a recovered
    load, whose tables are not known). Shallowest tables first, so a grandchild whose
    child row was just deleted goes in the same pass. Returns the child tables checked.

    With `checkpoint` (DuckDB), a delete that removed rows is checkpointed at once: DuckDB
    keeps what each delete changed in memory until a checkpoint, and at 1,000,000 incidents
    a dozen of them in a row ran out of the 384MB cap, though each alone fits.

    Orphans are never visible downstream (staging joins child rows to their current
    parent), so one left by a run killed before this step costs only space until the next
    load into its root, whose check reads the whole child table and removes it.
    """
    parents = child_tables(schema)
    checked = [
        name
        for name in sorted(parents, key=lambda t: t.count(SEP))
        if loaded is None or root_table(name, parents) in loaded
    ]
    for name in checked:
        child = sql_client.make_qualified_table_name(name)
        parent = sql_client.make_qualified_table_name(parents[name])
        deleted = sql_client.execute_sql(
            f"delete from {child} where {PARENT_KEY} not in (select {ROW_KEY} from {parent})"
        )
        if checkpoint and deleted and deleted[0][0]:
            sql_client.execute_sql("checkpoint")
    return checked
