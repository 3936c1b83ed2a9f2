"""Every model and column is documented, and the documentation matches the built tables."""

from __future__ import annotations

from .conftest import query

PROJECT = "incident_analytics"


def project_nodes(manifest: dict, resource_types: set[str]) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["package_name"] == PROJECT and node["resource_type"] in resource_types
    ]


def test_every_model_and_seed_has_a_description(built_warehouse):
    nodes = project_nodes(built_warehouse.manifest, {"model", "seed"})
    assert len(nodes) >= 16
    undocumented = [node["name"] for node in nodes if not node["description"].strip()]
    assert undocumented == []


def test_every_documented_column_has_a_description(built_warehouse):
    nodes = project_nodes(built_warehouse.manifest, {"model", "seed"})
    undocumented = [
        f"{node['name']}.{column['name']}"
        for node in nodes
        for column in node["columns"].values()
        if not column["description"].strip()
    ]
    assert undocumented == []


def test_every_source_table_has_a_description(built_warehouse):
    sources = [
        source
        for source in built_warehouse.manifest["sources"].values()
        if source["package_name"] == PROJECT
    ]
    assert {source["name"] for source in sources} >= {"incidents", "dashboards"}
    assert [s["name"] for s in sources if not s["description"].strip()] == []


def test_documented_columns_match_built_relations(built_warehouse, warehouse):
    mismatches = {}
    for node in project_nodes(built_warehouse.manifest, {"model", "seed"}):
        built = {
            name
            for (name,) in query(
                warehouse,
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [node["schema"], node["alias"]],
            )
        }
        documented = set(node["columns"])
        assert built, f"{node['schema']}.{node['alias']} was not built"
        if built != documented:
            mismatches[node["name"]] = {
                "documented_not_built": sorted(documented - built),
                "built_not_documented": sorted(built - documented),
            }
    assert mismatches == {}
