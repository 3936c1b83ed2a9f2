"""Source freshness from the thresholds in the dbt sources yml, without running dbt.

`dbt source freshness` needs a full dbt start (seconds) and a writable target; `just
status` should answer instantly and read-only. So the thresholds are read from the yml
with PyYAML, and the age is that of dlt's newest completed load (`raw._dlt_loads`): every
table of the source is refreshed by that load, changed rows or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingestion.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "transform" / "models"
PERIODS = {"minute": "minutes", "hour": "hours", "day": "days"}


@dataclass(frozen=True)
class Threshold:
    """`{count: 1, period: day}` from the yml."""

    count: int
    period: str

    @property
    def delta(self) -> dt.timedelta:
        return dt.timedelta(**{PERIODS[self.period]: self.count})

    def __str__(self) -> str:
        return f"{self.count} {self.period}{'' if self.count == 1 else 's'}"


@dataclass(frozen=True)
class SourceFreshness:
    """The thresholds that apply to one source table."""

    source: str
    table: str
    warn_after: Threshold | None
    error_after: Threshold | None
    defined_in: str

    def describe(self) -> str:
        parts = [f"warn after {self.warn_after}" if self.warn_after else None]
        parts.append(f"error after {self.error_after}" if self.error_after else None)
        return ", ".join(p for p in parts if p) or "no threshold"


def _threshold(value: Any) -> Threshold | None:
    if not isinstance(value, dict) or value.get("count") is None or not value.get("period"):
        return None
    period = str(value["period"]).lower()
    if period not in PERIODS:
        raise ValueError(f"unknown freshness period {period!r}")
    return Threshold(int(value["count"]), period)


def _freshness_of(node: dict) -> tuple[bool, dict | None]:
    """(declared?, value): `config: freshness:` wins over the older top-level `freshness:`."""
    config = node.get("config") or {}
    if "freshness" in config:
        return True, config["freshness"]
    if "freshness" in node:
        return True, node["freshness"]
    return False, None


def parse_sources(document: dict, defined_in: str = "") -> list[SourceFreshness]:
    """Tables with a freshness rule; a table's own rule (null disables) beats its source's."""
    found = []
    for source in (document or {}).get("sources") or []:
        _, source_rule = _freshness_of(source)
        for table in source.get("tables") or []:
            declared, rule = _freshness_of(table)
            rule = rule if declared else source_rule
            if not rule:
                continue
            warn, error = _threshold(rule.get("warn_after")), _threshold(rule.get("error_after"))
            if warn or error:
                found.append(
                    SourceFreshness(source["name"], table["name"], warn, error, defined_in)
                )
    return found


def load_thresholds(models_dir: Path = MODELS_DIR) -> list[SourceFreshness]:
    """Every source table with a freshness rule in the dbt project's yml files."""
    found: list[SourceFreshness] = []
    for path in sorted(models_dir.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "sources:" not in text:
            continue
        relative = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
        found += parse_sources(yaml.safe_load(text), relative)
    return found


def evaluate(rule: SourceFreshness, loaded_at: dt.datetime | None, now: dt.datetime) -> str:
    """dbt's verdict: `error` past error_after, `warn` past warn_after, else `pass`."""
    if loaded_at is None:
        return "error"
    if loaded_at.tzinfo is None:
        loaded_at = loaded_at.replace(tzinfo=dt.UTC)
    age = now - loaded_at
    if rule.error_after and age > rule.error_after.delta:
        return "error"
    if rule.warn_after and age > rule.warn_after.delta:
        return "warn"
    return "pass"
