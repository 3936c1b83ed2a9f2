"""Write-audit-publish: analysts only ever see marts whose dbt tests passed.

dbt builds every model into `<schema>__build` (staging__build, intermediate__build,
marts__build) and runs all tests there. Only when the whole build is green does `publish`
copy it into the schemas analysts query (`staging`, `intermediate`, `marts`), in one
transaction: tables are copied, views become views over their build twin. After a partial
build (`ingestion.selection`) only what it rebuilt is copied: the rest is unchanged. A failed test
leaves the published schemas exactly as the last good run left them. The SQL is plain
enough for DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

BUILD_SUFFIX = "__build"
PUBLISHED_SCHEMAS = ("staging", "intermediate", "marts")

Relation = tuple[str, str, str]  # (schema, name, "table" | "view")


def build_schema(schema: str) -> str:
    return f"{schema}{BUILD_SUFFIX}"


def publish_statements(
    built: list[Relation], published: list[Relation], rebuilt: set[str] | None = None
) -> list[str]:
    """SQL that makes the published schemas mirror the build schemas.

    With `rebuilt` (the names of the relations this run's build wrote), only those are
    replaced; the others already mirror their build twin, which this run did not touch.
    Published relations whose build twin is gone are dropped either way.
    """
    statements = [f"create schema if not exists {schema}" for schema in PUBLISHED_SCHEMAS]
    twins = {(schema.removesuffix(BUILD_SUFFIX), name) for schema, name, _ in built}
    for schema, name, kind in sorted(published):  # clear the old generation
        if rebuilt is None or name in rebuilt or (schema, name) not in twins:
            statements.append(f"drop {kind} if exists {schema}.{name}")
    for schema, name, kind in sorted(built):
        if rebuilt is not None and name not in rebuilt:
            continue
        target = schema.removesuffix(BUILD_SUFFIX)
        copy = "view" if kind == "view" else "table"
        statements.append(f"create {copy} {target}.{name} as select * from {schema}.{name}")
    return statements


def list_relations(sql_client, schemas: tuple[str, ...]) -> list[Relation]:
    names = ", ".join(f"'{s}'" for s in schemas)
    rows = sql_client.execute_sql(
        "select table_schema, table_name, table_type from information_schema.tables"
        f" where table_schema in ({names})"
    )
    return [
        (schema, name, "view" if "VIEW" in kind.upper() else "table") for schema, name, kind in rows
    ]


def publish(sql_client, rebuilt: set[str] | None = None) -> int:
    """Publish the build schemas atomically (only the `rebuilt` relations, when given);
    returns the number of relations published."""
    built = list_relations(sql_client, tuple(build_schema(s) for s in PUBLISHED_SCHEMAS))
    published = list_relations(sql_client, PUBLISHED_SCHEMAS)
    with sql_client.begin_transaction():
        for statement in publish_statements(built, published, rebuilt):
            sql_client.execute_sql(statement)
    return len(built) if rebuilt is None else len([r for r in built if r[1] in rebuilt])
