"""What the ELT hands to dbt through the environment, and that it takes it back after."""

from __future__ import annotations

import os

from ingestion.build import exported


def test_exported_variables_are_set_inside_the_block(monkeypatch):
    monkeypatch.delenv("ELT__DUCKDB_MEMORY_LIMIT", raising=False)
    with exported({"ELT__DUCKDB_MEMORY_LIMIT": "300MB"}):
        assert os.environ["ELT__DUCKDB_MEMORY_LIMIT"] == "300MB"


def test_exported_variables_are_removed_afterwards(monkeypatch):
    monkeypatch.delenv("ELT__DUCKDB_MEMORY_LIMIT", raising=False)
    with exported({"ELT__DUCKDB_MEMORY_LIMIT": "300MB"}):
        pass
    assert "ELT__DUCKDB_MEMORY_LIMIT" not in os.environ


def test_exported_variables_get_their_earlier_value_back(monkeypatch):
    monkeypatch.setenv("ELT__DUCKDB_MEMORY_LIMIT", "1GB")
    with exported({"ELT__DUCKDB_MEMORY_LIMIT": "300MB"}):
        pass
    assert os.environ["ELT__DUCKDB_MEMORY_LIMIT"] == "1GB"
