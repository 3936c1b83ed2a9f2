"""The marts the dbt project publishes, read from its models yml: a new mart is compared
by every test that compares marts (rebuilds, DuckDB against PostgreSQL) with no list to
update. And the one comparison of published marts with a whole `dbt build` of the same raw.
"""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.workspace import REPO_ROOT, Workspace, checksum

MARTS_YML = REPO_ROOT / "transform" / "models" / "marts" / "_marts__models.yml"

#: Every mart model, in the order the yml documents them.
MARTS: tuple[str, ...] = tuple(
    model["name"] for model in yaml.safe_load(MARTS_YML.read_text(encoding="utf-8"))["models"]
)

# `dlt_load_id` and `dlt_id` name the load that last wrote a row's content: a re-read of the
# same content (which changes no digest, so rebuilds nothing) is a newer load in raw.
RE_READ_LINEAGE = ("dlt_load_id", "dlt_id")


def full_rebuild(ws: Workspace) -> subprocess.CompletedProcess:
    """The whole dbt project built from the workspace's raw into `*__check` schemas.

    Seeds and models only: the run being compared has run every data test already, and
    what is compared here is content (at 60 incidents: 10 s, against 25-34 s with the tests)."""
    args = ["build", "--target", "duckdb"]
    args += ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
    args += ["--full-refresh", "--vars", "{schema_suffix: __check}"]
    env = ws.env(DBT_TARGET_PATH=str(ws.root / "dbt_check_target"))
    return subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", *args],
        cwd=ws.project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def differences_from_full_rebuild(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Published mart -> (its checksum, the full rebuild's), for each that differs."""
    rebuild = full_rebuild(ws)
    assert rebuild.returncode == 0, rebuild.stdout[-3000:]
    with ws.connect() as con:
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        assert marts
        sums = {
            name: (
                checksum(con, f"marts.{name}", skip_lineage=False, left_out=RE_READ_LINEAGE),
                checksum(con, f"marts__check.{name}", False, left_out=RE_READ_LINEAGE),
            )
            for name in marts
        }
    return {name: pair for name, pair in sums.items() if pair[0] != pair[1]}
