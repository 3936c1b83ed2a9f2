"""What kind of run was asked for, shared by the run and its extract (a child process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingestion.source import Backfill


@dataclass(frozen=True)
class RunOptions:
    """What kind of run: the hourly sync (default), a full refresh, or a backfill."""

    full_refresh: bool = False
    backfill: Backfill | None = None
    extra_resources: tuple[dict[str, Any], ...] = ()
    check_deletions: bool = False  # list every incident now, whatever the cadence says
    full_scans: bool = False  # read every full scan now, whatever its cadence says
