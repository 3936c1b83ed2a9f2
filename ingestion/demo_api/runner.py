"""Start the demo API for a caller (the ELT, tests, benchmarks) and stop it afterwards.

By default the server runs in a subprocess so that a client under test does not share the
GIL with it (a shared GIL would make the client look slower than it is). The token travels
by environment variable, never on the command line where ``ps`` would show it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ingestion.demo_api.cli import READY_PREFIX, TOKEN_ENV
from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.faults import Faults
from ingestion.demo_api.ratelimit import (
    BODY_STYLES,
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_S,
    HEADER_DIALECTS,
    check_choice,
)
from ingestion.demo_api.server import RATE_KEYS, ServerConfig, build_server
from ingestion.demo_api.state import DemoState, resolve_state, save_state

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class DemoAPI:
    """A running demo API: where it is, its token, and its test controls."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url  # http://127.0.0.1:PORT/v1/
        self.token = token
        self.root_url = base_url.removesuffix("/v1/")

    def __repr__(self) -> str:  # never show the token
        return f"DemoAPI(base_url={self.base_url!r})"

    @property
    def headers(self) -> dict[str, str]:
        """Request headers that authenticate against this server."""
        return {"Authorization": f"Bearer {self.token}"}

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.root_url}/_demo/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def health(self) -> dict[str, Any]:
        return self._admin("GET", "health")

    def stats(self) -> dict[str, Any]:
        """Request counters (see ``GET /_demo/stats``)."""
        return self._admin("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._admin("POST", "stats/reset", {})

    def set_faults(self, **flags: Any) -> dict[str, Any]:
        """Replace the active faults (CLI flag names with underscores); none = all clear.

        ``rate_limit``, ``rate_window``, ``retry_after``, ``rate_limit_headers`` and
        ``rate_limit_body`` change the limiter when given and keep their values otherwise.
        """
        return self._admin("POST", "faults", flags)

    def apply_changes(self, count: int = 1) -> dict[str, Any]:
        """Apply change batches on the running server (persisted if it has a state dir)."""
        return self._admin("POST", "changes", {"count": count})

    def ground_truth(self) -> dict[str, Any]:
        """The full current data set: every list and each resource's deleted ids."""
        return self._admin("GET", "ground-truth")


def _serve_args(
    *,
    seed: int | None,
    incidents: int | None,
    dashboards: int | None,
    change_fraction: float | None,
    state_dir: str | os.PathLike[str] | None,
    faults: Faults,
    rate_limit: int,
    rate_window: float,
    retry_after: bool,
    rate_limit_headers: str,
    rate_limit_body: str,
    host: str,
    port: int,
) -> list[str]:
    args = ["serve", "--host", host, "--port", str(port)]
    for flag, value in (
        ("--seed", seed),
        ("--incidents", incidents),
        ("--dashboards", dashboards),
        ("--change-fraction", change_fraction),
        ("--state-dir", state_dir),
    ):
        if value is not None:
            args += [flag, str(value)]
    args += ["--rate-limit", str(rate_limit), "--rate-window", str(rate_window)]
    if retry_after:
        args.append("--retry-after")
    args += ["--rate-limit-headers", rate_limit_headers, "--rate-limit-body", rate_limit_body]
    defaults = Faults().to_dict()
    for name, value in faults.to_dict().items():
        if value == defaults[name]:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, list):
            for item in value:
                args += [flag, item]
        elif isinstance(value, bool):
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


def _read_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait for the server's ready line, then keep draining stdout so it never blocks."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="demo-api-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"demo API did not report ready within {timeout:.0f}s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"demo API exited before it was ready (exit {process.wait()})")
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()


def _split_rate_keys(
    faults: Faults | Mapping[str, Any] | None,
) -> tuple[dict[str, Any], Faults]:
    """Separate limiter settings given in a ``faults`` mapping from the faults proper."""
    if isinstance(faults, Faults):
        return {}, faults
    given = {k.replace("-", "_"): v for k, v in (faults or {}).items()}
    rate = {k: v for k, v in given.items() if k in RATE_KEYS}
    return rate, Faults.from_mapping({k: v for k, v in given.items() if k not in RATE_KEYS})


def _pick(explicit: Any, rate: Mapping[str, Any], key: str, default: Any) -> Any:
    """The keyword argument if given, else the value from ``faults``, else the default."""
    if explicit is not None:
        return explicit
    return rate.get(key, default)


@contextlib.contextmanager
def run_demo_api(
    *,
    seed: int | None = None,
    incidents: int | None = None,
    dashboards: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    faults: Faults | Mapping[str, Any] | None = None,
    rate_limit: int | None = None,
    rate_window: float | None = None,
    retry_after: bool = False,
    rate_limit_headers: str | None = None,
    rate_limit_body: str | None = None,
    change_fraction: float | None = None,
    in_process: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    startup_timeout: float = 120.0,
) -> Iterator[DemoAPI]:
    """Run the demo API for the duration of a ``with`` block and yield a :class:`DemoAPI`.

    Sizes and seed left as None come from ``state_dir/state.json`` if present, else the
    defaults (seed 42, 500 incidents, 40 dashboards). ``faults`` uses the CLI flag names with
    underscores; it may also carry the rate-limit keys (``rate_limit_headers``...), which the
    keyword arguments override. ``in_process=True`` serves from a thread of this process
    (quick unit tests).
    """
    rate, fault_set = _split_rate_keys(faults)
    limit = _pick(rate_limit, rate, "rate_limit", DEFAULT_LIMIT)
    window = _pick(rate_window, rate, "rate_window", DEFAULT_WINDOW_S)
    retry_after = retry_after or bool(rate.get("retry_after", False))
    dialect = check_choice(
        "rate_limit_headers",
        _pick(rate_limit_headers, rate, "rate_limit_headers", "ietf"),
        HEADER_DIALECTS,
    )
    body_style = check_choice(
        "rate_limit_body", _pick(rate_limit_body, rate, "rate_limit_body", "jsonapi"), BODY_STYLES
    )
    secret = token or secrets.token_urlsafe(32)
    if in_process:
        state = resolve_state(state_dir, seed, incidents, dashboards, change_fraction)
        dataset = Dataset(state.params, state.batches_applied)
        path = Path(state_dir) if state_dir is not None else None
        if path is not None:
            save_state(path, DemoState(dataset.params, dataset.batches_applied))
        config = ServerConfig(
            secret,
            int(limit),
            float(window),
            retry_after,
            fault_set,
            path,
            rate_limit_headers=dialect,
            rate_limit_body=body_style,
        )
        server = build_server(dataset, config, host, port)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="demo-api", daemon=True
        )
        thread.start()
        try:
            yield DemoAPI(f"http://{host}:{server.port}/v1/", secret)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        return

    args = _serve_args(
        seed=seed,
        incidents=incidents,
        dashboards=dashboards,
        change_fraction=change_fraction,
        state_dir=state_dir,
        faults=fault_set,
        rate_limit=limit,
        rate_window=window,
        retry_after=retry_after,
        rate_limit_headers=dialect,
        rate_limit_body=body_style,
        host=host,
        port=port,
    )
    env = dict(os.environ)
    env[TOKEN_ENV] = secret
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "ingestion.demo_api", *args],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        encoding="utf-8",
    )
    try:
        base_url = _read_ready_line(process, startup_timeout)
        yield DemoAPI(base_url, secret)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
