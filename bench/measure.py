"""Pure helpers: medians, ratios, targets, and the process-tree memory sampler.

Kept free of ELT knowledge so the smoke tests can check the arithmetic that turns raw
timings into PASS/MISS without running anything slow.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MIB = 1024 * 1024
DEMO_API_MARKER = "ingestion.demo_api"  # in the cmdline of the demo API subprocess


def median(values: Iterable[float | None]) -> float | None:
    """Median of the values that exist; None when none do (a skipped or failed figure)."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either side is missing or the divisor is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def median_of_dicts(dicts: Sequence[Mapping[str, float]]) -> dict[str, float | None]:
    """Per-key median over repetitions (keys missing in a repetition are skipped there)."""
    keys = sorted({k for d in dicts for k in d})
    return {k: median(d.get(k) for d in dicts) for k in keys}


@dataclass(frozen=True)
class Target:
    """A goal a figure must meet: `value <op> limit`, with a human label for the table."""

    op: str  # "<=" or ">="
    limit: float
    label: str

    def verdict(self, value: float | None) -> str:
        """PASS/MISS, or n/a when the figure could not be measured."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        ok = value <= self.limit if self.op == "<=" else value >= self.limit
        return "PASS" if ok else "MISS"


INGEST_VS_FLOOR = Target("<=", 1.5, "<= 1.5x floor")
TRANSFORM_VS_BARE = Target("<=", 1.3, "<= 1.3x bare dbt")
RATE_SHARE = Target(">=", 0.90, ">= 90% of allowed")
RATE_429_SHARE = Target("<=", 0.01, "<= 1% of requests")
LARGE_PEAK_RSS = Target("<=", 1024.0, "<= 1024 MiB")
# issue 18: an hour in which nothing changed upstream, wall seconds by scale
UNCHANGED_WALL = {
    "medium": Target("<=", 5.0, "<= 5 s"),
    "large": Target("<=", 10.0, "<= 10 s"),
}
# issue 18: an hour with a 1 % change, its wall as a share of the full load's, by scale
INCREMENTAL_WALL_SHARE = {
    "small": Target("<=", 0.25, "<= 0.25 of the full load"),
    "medium": Target("<=", 0.25, "<= 0.25 of the full load"),
    "large": Target("<=", 0.08, "<= 0.08 of the full load"),
}


def incremental_request_target(changed: int, page_size: int) -> int:
    """Pages an ideal incremental run needs: the changed rows' pages plus 3 of slack.

    The slack covers the last partial page, the lag window re-read and one empty page.
    """
    return math.ceil(changed / page_size) + 3


def allowed_requests(limit: int, window_s: float, elapsed_s: float) -> float:
    """Most requests a sliding-window limiter admits in `elapsed_s`: one full window
    up front, then `limit` per `window_s` (the continuous upper bound).

    Only an informational figure now: for a finite job it depends on where the request
    count falls between whole windows (201 requests at 50 per window score 0.80 at best),
    so `allowed_rate_share` is the target figure.
    """
    return limit * (1.0 + elapsed_s / window_s)


def allowed_rate_share(arrivals: Iterable[float], limit: int, window_s: float) -> float | None:
    """Achieved share of the allowed rate `limit / window_s`, from server arrival times.

    The share is `window_s` over the mean time from each admitted request to the one `limit`
    places after it: a sliding window makes each such gap at least `window_s`, so 1.0 means
    every slot was reused the moment it freed, and any time the client leaves a free slot
    unused (idle, rounding, a reserve) lengthens gaps and lowers the share, whatever the
    request count. None when there are at most `limit` requests: the limiter never bound.
    """
    times = sorted(arrivals)
    gaps = [later - earlier for earlier, later in zip(times, times[limit:], strict=False)]
    if not gaps:
        return None
    return window_s / statistics.fmean(gaps)


@dataclass
class TreePeak:
    """Peak resident memory of a process tree, split into the pipeline and the demo API."""

    total_mib: float = 0.0
    pipeline_mib: float = 0.0
    demo_api_mib: float = 0.0
    samples: int = 0


@dataclass
class TreeSampler:
    """Polls RSS of a process and all its descendants every `interval` seconds.

    The demo API runs as a child of the ELT; it is reported apart because it is test
    scaffolding, not the pipeline. Sums are per sample, so the peak is simultaneous use.
    """

    pid: int
    interval: float = 0.1
    peak: TreePeak = field(default_factory=TreePeak)
    _stop: threading.Event = field(default_factory=threading.Event)
    _kinds: dict[int, bool] = field(default_factory=dict)  # pid -> is demo API

    def _is_demo(self, proc: psutil.Process) -> bool:
        if proc.pid not in self._kinds:
            try:
                self._kinds[proc.pid] = DEMO_API_MARKER in " ".join(proc.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                return False
        return self._kinds[proc.pid]

    def sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        pipeline = demo = 0
        for proc in procs:
            try:
                rss = proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            if self._is_demo(proc):
                demo += rss
            else:
                pipeline += rss
        p = self.peak
        p.samples += 1
        p.total_mib = max(p.total_mib, (pipeline + demo) / MIB)
        p.pipeline_mib = max(p.pipeline_mib, pipeline / MIB)
        p.demo_api_mib = max(p.demo_api_mib, demo / MIB)

    def run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self.run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class ProcessRun:
    """One monitored subprocess: exit code, wall seconds, memory peak, where its log is."""

    returncode: int
    wall_s: float
    peak: TreePeak
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def run_monitored(cmd: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path) -> ProcessRun:
    """Run `cmd` to completion with its output in `log`, sampling its tree's memory."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        with TreeSampler(proc.pid) as sampler:
            returncode = proc.wait()
        wall = time.perf_counter() - started
    return ProcessRun(returncode, wall, sampler.peak, log)
