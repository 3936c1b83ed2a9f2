"""Freshness thresholds read from the dbt sources yml, and dbt's pass/warn/error verdict."""

from __future__ import annotations

import datetime as dt

import yaml

from analyst import freshness

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


def test_the_projects_thresholds_are_found() -> None:
    rules = {r.table: r for r in freshness.load_thresholds()}
    assert set(rules) == {"incidents", "dashboards", "alerts"}
    assert rules["incidents"].describe() == "warn after 1 day, error after 7 days"
    assert rules["incidents"].defined_in.endswith("_analytics_api__sources.yml")


def test_table_rules_override_the_sources_and_null_disables() -> None:
    doc = yaml.safe_load(
        """
sources:
  - name: s
    freshness: {warn_after: {count: 2, period: hour}}
    tables:
      - name: inherits
      - name: own
        config: {freshness: {error_after: {count: 30, period: minute}}}
      - name: off
        freshness: null
"""
    )
    rules = {r.table: r for r in freshness.parse_sources(doc)}
    assert set(rules) == {"inherits", "own"}
    assert rules["inherits"].describe() == "warn after 2 hours"
    assert rules["own"].describe() == "error after 30 minutes"


def test_verdicts_follow_the_thresholds() -> None:
    rule = freshness.load_thresholds()[0]
    assert freshness.evaluate(rule, NOW - dt.timedelta(hours=23), NOW) == "pass"
    assert freshness.evaluate(rule, NOW - dt.timedelta(days=2), NOW) == "warn"
    assert freshness.evaluate(rule, NOW - dt.timedelta(days=8), NOW) == "error"
    naive = (NOW - dt.timedelta(days=2)).replace(tzinfo=None)
    assert freshness.evaluate(rule, naive, NOW) == "warn"  # naive timestamps are UTC
    assert freshness.evaluate(rule, None, NOW) == "error"
