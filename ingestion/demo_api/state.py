"""Persisted demo state: data parameters and how many change batches were applied.

Storing the batch count (not the data) is enough because the data is a pure function of the
parameters and the count. ``just demo-change`` bumps the count offline; the next server
started on the same directory replays the batches at startup.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ingestion.demo_api.dataset import DataParams

STATE_FILE = "state.json"
STATE_FORMAT = 1


@dataclass
class DemoState:
    params: DataParams
    batches_applied: int = 0


def state_path(state_dir: str | os.PathLike[str]) -> Path:
    return Path(state_dir) / STATE_FILE


def resolve_state(
    state_dir: str | os.PathLike[str] | None,
    seed: int | None = None,
    incidents: int | None = None,
    dashboards: int | None = None,
    change_fraction: float | None = None,
) -> DemoState:
    """The parameters to run with: explicit arguments, else the stored state, else defaults.

    An explicit argument that differs from the stored one starts the data over (zero
    batches): replaying batches of one data set on another would be meaningless.
    """
    stored = load_state(state_dir) if state_dir is not None else None
    base = stored.params if stored else DataParams()
    wanted = DataParams(
        seed=base.seed if seed is None else seed,
        incidents=base.incidents if incidents is None else incidents,
        dashboards=base.dashboards if dashboards is None else dashboards,
        change_fraction=base.change_fraction if change_fraction is None else change_fraction,
    )
    if stored is None:
        return DemoState(wanted, 0)
    if wanted != stored.params:
        print(
            f"demo API: parameters differ from {state_path(state_dir)} "  # type: ignore[arg-type]
            "(seed/sizes changed); starting from zero change batches",
            file=sys.stderr,
        )
        return DemoState(wanted, 0)
    return stored


def load_state(state_dir: str | os.PathLike[str]) -> DemoState | None:
    path = state_path(state_dir)
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    params = DataParams(
        seed=int(raw["seed"]),
        incidents=int(raw["incidents"]),
        dashboards=int(raw["dashboards"]),
        change_fraction=float(raw.get("change_fraction", DataParams.change_fraction)),
    )
    return DemoState(params, int(raw.get("batches_applied", 0)))


def save_state(state_dir: str | os.PathLike[str], state: DemoState) -> Path:
    """Write the state atomically (temp file + rename) so a crash never leaves half a file."""
    path = state_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": STATE_FORMAT, **state.params.to_dict()}
    payload["batches_applied"] = state.batches_applied
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
