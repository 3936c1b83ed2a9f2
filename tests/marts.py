"""The marts the dbt project publishes, read from its models yml: a new mart is compared
by every test that compares marts (rebuilds, DuckDB against PostgreSQL) with no list to
update."""

from __future__ import annotations

import yaml

from tests.workspace import REPO_ROOT

MARTS_YML = REPO_ROOT / "transform" / "models" / "marts" / "_marts__models.yml"

#: Every mart model, in the order the yml documents them.
MARTS: tuple[str, ...] = tuple(
    model["name"] for model in yaml.safe_load(MARTS_YML.read_text(encoding="utf-8"))["models"]
)
