"""A run rebuilds only what is downstream of what changed, and the marts it publishes equal
a full rebuild's, row for row.

One warehouse, built from its own copy of the checkout (so the test can edit the dbt
project as a user would), goes through four `just elt` runs: a first full build, a run after
a change batch, a run after an edit to the SLA seed, and a run after an edit to a staging
model. After each partial build, dbt builds the whole project from the same raw into
`*__check` schemas (`dbt build --vars schema_suffix: __check`), and every published mart
must equal its full rebuild in every row and every column but `dlt_load_id` and `dlt_id`:
those name the load that last wrote a row's content, and a re-read of the same content
(which changes no digest, so rebuilds nothing) is a newer load in raw.
"""

from __future__ import annotations

import json

import pytest

from tests.marts import differences_from_full_rebuild
from tests.workspace import Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("partial_build")]

SMALL_DEMO = {"ELT__DEMO_API__INCIDENTS": "60", "ELT__DEMO_API__DASHBOARDS": "6"}
SEED = "transform/seeds/sla_targets.csv"
STAGING_DASHBOARDS = "transform/models/staging/analytics_api/stg_analytics_api__dashboards.sql"


def rebuilt_models(ws: Workspace, label: str) -> set[str]:
    summary = json.loads(ws.summary(label).read_text())
    return {r["name"] for r in summary["dbt"] if r["kind"] == "model"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The four runs, each partial build followed by its comparison with a full rebuild."""
    ws = Workspace(tmp_path_factory.mktemp("partial-build"))
    project = ws.own_project()
    out: dict = {"ws": ws}

    def elt(label: str, compare: bool = True) -> None:
        run = ws.elt("--summary-json", str(ws.summary(label)), **SMALL_DEMO)
        assert run.returncode == 0, run.describe()
        out[label] = {
            "run": run,
            "summary": json.loads(ws.summary(label).read_text()),
            "models": rebuilt_models(ws, label),
            "differences": differences_from_full_rebuild(ws) if compare else None,
        }

    elt("first", compare=False)  # a full build: its own rebuild would compare it with itself
    ws.apply_demo_changes(1)
    elt("changed")
    seed = project / SEED
    seed.write_text(seed.read_text().replace("critical,60,", "critical,30,"))
    elt("seed")
    model = project / STAGING_DASHBOARDS
    model.write_text(
        model.read_text().replace(
            "attributes__name as dashboard_name", "upper(attributes__name) as dashboard_name"
        )
    )
    elt("model")
    out["dashboard_names"] = ws.query("select dashboard_name from marts.dim_dashboards")
    out["status"] = ws.just("status")
    return out


def test_the_first_run_builds_everything(runs):
    assert runs["first"]["summary"]["build"] == "built"
    assert "everything: no published build" in runs["first"]["run"].stdout


@pytest.mark.parametrize("label", ["changed", "seed", "model"])
def test_every_published_mart_after_a_partial_build_equals_a_full_rebuild(runs, label):
    assert runs[label]["differences"] == {}


def test_a_change_batch_rebuilds_only_what_reads_the_changed_tables(runs):
    changed = runs["changed"]
    assert changed["summary"]["build"] == "partial"
    assert "fct_incidents" in changed["models"]
    assert changed["models"] < runs["first"]["models"]


def test_a_seed_edit_rebuilds_what_reads_the_seed_and_nothing_else(runs):
    seed = runs["seed"]
    assert seed["summary"]["build"] == "partial"
    assert {"sla_targets", "fct_incidents", "incident_metrics_daily"} <= seed["models"]
    assert "dim_dashboards" not in seed["models"]


def test_a_seed_edit_reaches_incidents_the_incremental_mart_wrote_before(runs):
    # fct_incidents is incremental: only a recompute gives old incidents the new target
    assert runs["seed"]["differences"] == {}
    assert "fct_incidents" in runs["seed"]["models"]


def test_a_model_edit_rebuilds_its_descendants_and_nothing_else(runs):
    model = runs["model"]
    assert model["summary"]["build"] == "partial"
    assert {"stg_analytics_api__dashboards", "dim_dashboards", "dim_teams"} <= model["models"]
    assert "fct_incidents" not in model["models"]


def test_a_model_edit_is_published(runs):
    names = [name for (name,) in runs["dashboard_names"] if name]
    assert names and all(name == name.upper() for name in names)


def test_status_says_the_last_run_was_a_partial_build(runs):
    assert runs["status"].returncode == 0, runs["status"].stderr
    assert "partial build: rebuilt only what" in runs["status"].stdout
