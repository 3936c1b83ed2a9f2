"""The scenarios `just bench` measures: full load vs floor and bare dbt, incremental, rate-limited.

Each returns plain dicts (JSON-ready). Repetitions follow one rule everywhere: `--repeat N`
when given, else run once and, if that took under a minute, twice more (medians of 3).
"""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from bench.elt import (
    PAGE_SIZE,
    SEED,
    STEPS,
    UNLIMITED,
    EltRun,
    elt_env,
    run_bare_dbt,
    run_elt,
)
from bench.floor import pages_per_second, run_floor
from bench.measure import (
    allowed_rate_share,
    allowed_requests,
    incremental_request_target,
    median,
    median_of_dicts,
    ratio,
)
from ingestion.demo_api import run_demo_api
from ingestion.demo_api.runner import DemoAPI
from tests.workspace import Workspace

SCALES: dict[str, tuple[int, int]] = {
    "small": (500, 40),
    "medium": (100_000, 5_000),
    "large": (1_000_000, 20_000),
}
AUTO_REPEAT_UNDER_S = 60.0
AUTO_REPEAT = 3
# rate-limited scenario: every resource of a 4,000-incident account (about 250 requests:
# alerts, action items and retrospectives grow with the incidents) against 50 per 10 s ->
# 5 windows, ~50 s of extract per header dialect
RATE_INCIDENTS, RATE_DASHBOARDS = 4_000, 40
RATE_LIMIT, RATE_WINDOW_S = 50, 10.0
SPEED_PAGES = 200  # pages fetched to measure the demo API alone

T = TypeVar("T")


def repeated(
    once: Callable[[int], T], seconds: Callable[[T], float | None], repeat: int | None
) -> list[T]:
    """Run `once(i)` `repeat` times, or 1 time (+2 if the first took under a minute)."""
    results = [once(0)]
    wanted = repeat if repeat is not None else 1
    first = seconds(results[0])
    if repeat is None and first is not None and first < AUTO_REPEAT_UNDER_S:
        wanted = AUTO_REPEAT
    results += [once(i) for i in range(1, wanted)]
    return results


def _log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def full_load(
    scale: str, workdir: Path, repeat: int | None, skip_floor: bool
) -> tuple[dict[str, Any], Workspace | None]:
    """The ELT from scratch at one scale, with its floor and a bare dbt build beside it.

    Returns the figures and the last successful run's workspace (for the incremental run).
    """
    incidents, dashboards = SCALES[scale]
    pairs = []

    def once(i: int):
        ws = Workspace.create(f"{scale}-{i}", workdir)
        _log(f"{scale}: ELT full load #{i + 1} ({incidents} incidents) in {ws.root}")
        run = run_elt(ws, elt_env(ws, incidents=incidents, dashboards=dashboards), "full")
        bare = run_bare_dbt(ws, "bare-dbt") if run.ok else None
        _log(
            f"{scale}: ELT {'ok' if run.ok else 'FAILED'} in {run.wall_s:.1f}s"
            + (f", bare dbt {bare.wall_s:.1f}s" if bare else "")
        )
        pairs.append((ws, run, bare))
        return run

    runs = repeated(once, lambda r: r.wall_s, repeat)
    ok_runs = [r for r in runs if r.ok]
    bares = [b for _, _, b in pairs if b is not None]
    ingest = median(r.ingest_s for r in ok_runs)
    transform = median(r.transform_s for r in ok_runs)
    bare_s = median(b.wall_s for b in bares if b.ok)
    seconds = median_of_dicts([r.seconds for r in ok_runs])
    records = ok_runs[-1].api_records if ok_runs else None
    pages = sum(ok_runs[-1].pages.values()) if ok_runs else None
    figures: dict[str, Any] = {
        "scale": scale,
        "incidents": incidents,
        "dashboards": dashboards,
        "page_size": PAGE_SIZE,
        "repeats": len(runs),
        "ok": len(ok_runs) == len(runs),
        "errors": [r.error for r in runs if r.error] + [b.error for b in bares if b.error],
        "seconds": {step: seconds.get(step) for step in STEPS},
        "wall_s": median(r.wall_s for r in runs),
        "ingest_s": ingest,
        "records": records,
        "rows": ok_runs[-1].rows if ok_runs else {},
        "pages": pages,
        "rows_per_s": ratio(records, ingest),
        "extract_pages_per_s": ratio(pages, seconds.get("extract")),
        "peak_rss_mib": {
            "pipeline": max(r.peak.pipeline_mib for r in runs),
            "demo_api": max(r.peak.demo_api_mib for r in runs),
            "total": max(r.peak.total_mib for r in runs),
        },
        "models_built": ok_runs[-1].models_built if ok_runs else 0,
        "tests_passed": ok_runs[-1].tests_passed if ok_runs else 0,
        "transform_s": transform,
        "bare_dbt_s": bare_s,
        "transform_vs_bare": ratio(transform, bare_s),
        "runs": [asdict(r) for r in runs],
    }
    figures |= floor_and_api_speed(scale, workdir, repeat, skip_floor, ingest)
    figures["requests"] = requests_per_resource(
        ok_runs[-1] if ok_runs else None, (figures.get("floor") or {}).get("pages", {})
    )
    last_ok = next((ws for ws, run, _ in reversed(pairs) if run.ok), None)
    return figures, last_ok


def floor_and_api_speed(
    scale: str, workdir: Path, repeat: int | None, skip_floor: bool, ingest_s: float | None
) -> dict[str, Any]:
    """The demo API's own pages/s and the floor client's seconds, on one fresh server."""
    incidents, dashboards = SCALES[scale]
    out: dict[str, Any] = {}
    with run_demo_api(
        seed=SEED, incidents=incidents, dashboards=dashboards, rate_limit=UNLIMITED
    ) as api:
        speed, fetched = pages_per_second(
            api.base_url, api.token, "incidents", PAGE_SIZE, SPEED_PAGES
        )
        out["demo_api_pages_per_s"] = speed
        out["demo_api_pages_measured"] = fetched
        _log(f"{scale}: demo API alone {speed:.0f} pages/s over {fetched} pages")
        if skip_floor:
            return out

        def once(i: int):
            ws = Workspace.create(f"{scale}-floor-{i}", workdir)
            result = run_floor(api.base_url, api.token, ws.duckdb_path, PAGE_SIZE)
            _log(f"{scale}: floor #{i + 1} {result.seconds:.1f}s")
            return result

        floors = repeated(once, lambda f: f.seconds, repeat)
    floor_s = median(f.seconds for f in floors)
    rows = sum(floors[-1].rows.values())
    out["floor"] = {
        "seconds": floor_s,
        "fetch_s": median(f.fetch_seconds for f in floors),
        "insert_s": median(f.insert_seconds for f in floors),
        "repeats": len(floors),
        "rows": floors[-1].rows,
        "pages": floors[-1].pages,
        "total_count": floors[-1].total_count,
        "complete": floors[-1].rows == floors[-1].total_count,
        "rows_per_s": ratio(rows, floor_s),
    }
    out["ingest_vs_floor"] = ratio(ingest_s, floor_s)
    return out


def requests_per_resource(
    run: EltRun | None, floor_pages: dict[str, int]
) -> dict[str, dict[str, int | None]]:
    """Per resource: the pipeline's requests (retries included), its retries and 429s, and
    the floor's requests for the same endpoint (it never retries)."""
    sent = run.requests if run is not None else {}
    names = [*sent, *(name for name in floor_pages if name not in sent)]
    return {
        name: {
            "pipeline": (sent.get(name) or {}).get("requests"),
            "retries": (sent.get(name) or {}).get("retries"),
            "rate_limited": (sent.get(name) or {}).get("rate_limited"),
            "floor": floor_pages.get(name),
        }
        for name in names
    }


def hourly_env(full_scan_hours: float | None) -> dict[str, str]:
    """Settings of the hourly runs (not the full load): the full-scan cadence, when given."""
    if full_scan_hours is None:
        return {}
    return {"SOURCES__ANALYTICS_API__FULL_SCAN_HOURS": str(full_scan_hours)}


@contextlib.contextmanager
def running_api(ws: Workspace, scale: str) -> Iterator[DemoAPI]:
    """The demo API of `ws` (the full load's data and change batches), started once and
    warmed, for the hourly runs to call as they would call a real API.

    The ELT's bundled demo API generates its data when it starts, and the alerts, action
    items and catalogs on the first request for them: at 1,000,000 incidents that is about
    28 s of the demo's CPU in every run, which a run against a real API never pays.
    """
    incidents, dashboards = SCALES[scale]
    with run_demo_api(
        seed=SEED,
        incidents=incidents,
        dashboards=dashboards,
        rate_limit=UNLIMITED,
        state_dir=str(ws.demo_state_dir),
    ) as api:
        _log(f"{scale}: demo API for the hourly runs, warming up")
        request = urllib.request.Request(f"{api.base_url}alerts?page[size]=1", headers=api.headers)
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
        yield api


def hourly_elt_env(
    ws: Workspace, scale: str, api: DemoAPI, hourly: dict[str, str] | None
) -> dict[str, str]:
    incidents, dashboards = SCALES[scale]
    env = elt_env(
        ws, incidents=incidents, dashboards=dashboards, base_url=api.base_url, api_key=api.token
    )
    return env | (hourly or {})


def unchanged(
    ws: Workspace,
    scale: str,
    full: dict[str, Any],
    repeat: int | None,
    api: DemoAPI,
    hourly: dict[str, str] | None = None,
) -> dict[str, Any]:
    """ELT again on the same warehouse with nothing changed upstream (an hour of quiet)."""
    env = hourly_elt_env(ws, scale, api, hourly)

    def once(i: int):
        _log(f"{scale}: nothing changed, ELT #{i + 1}")
        run = run_elt(ws, env, f"unchanged-{i}")
        _log(f"{scale}: unchanged {'ok' if run.ok else 'FAILED'} in {run.wall_s:.1f}s")
        return run

    runs = repeated(once, lambda r: r.wall_s, repeat)
    ok_runs = [r for r in runs if r.ok]
    wall = median(r.wall_s for r in runs)
    return {
        "scale": scale,
        "repeats": len(runs),
        "ok": len(ok_runs) == len(runs),
        "errors": [r.error for r in runs if r.error],
        "builds": [r.build for r in runs],
        "requests": median(sum(r.pages.values()) for r in ok_runs),
        "seconds": median_of_dicts([r.seconds for r in ok_runs]),
        "wall_s": wall,
        "wall_vs_full": ratio(wall, full.get("wall_s")),
        "runs": [asdict(r) for r in runs],
    }


def incremental(
    ws: Workspace,
    scale: str,
    full: dict[str, Any],
    repeat: int | None,
    api: DemoAPI,
    hourly: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Change batch, ELT again on the same warehouse; compared with the full load."""
    env = hourly_elt_env(ws, scale, api, hourly)
    batches: list[dict[str, Any]] = []

    def once(i: int):
        batch = api.apply_changes()["batches"][0]
        batches.append(batch)
        _log(f"{scale}: change batch {batch['batch']}, incremental ELT #{i + 1}")
        run = run_elt(ws, env, f"incremental-{i}")
        _log(f"{scale}: incremental {'ok' if run.ok else 'FAILED'} in {run.wall_s:.1f}s")
        return run

    runs = repeated(once, lambda r: r.wall_s, repeat)
    per_resource = []
    for run, batch in zip(runs, batches, strict=True):
        # what the change batch report counts; the other resources' requests are reported
        # without a target (full scans, and alerts, whose changes it does not count)
        changed: dict[str, int | None] = {
            "incidents": batch["updated_incidents"] + batch["new_incidents"],
            "dashboards": len(batch["deleted_dashboard_ids"]) + len(batch["edited_dashboard_ids"]),
        }
        changed |= {name: None for name in run.pages if name not in changed}
        per_resource.append(
            {
                name: {
                    "changed": count,
                    "requests": run.pages.get(name) if run.ok else None,
                    "target": (
                        None if count is None else incremental_request_target(count, PAGE_SIZE)
                    ),
                }
                for name, count in changed.items()
            }
        )
    ok_runs = [r for r in runs if r.ok]
    wall = median(r.wall_s for r in runs)
    names = list(dict.fromkeys(name for p in per_resource for name in p))
    resources = {
        name: {
            key: median(p.get(name, {}).get(key) for p in per_resource)
            for key in ("changed", "requests", "target")
        }
        for name in names
    }
    return {
        "scale": scale,
        "repeats": len(runs),
        "ok": len(ok_runs) == len(runs),
        "errors": [r.error for r in runs if r.error],
        "batches": batches,
        "resources": resources,
        "seconds": median_of_dicts([r.seconds for r in ok_runs]),
        "builds": [r.build for r in runs],
        "models_built": median(r.models_built for r in ok_runs),
        "tests_passed": median(r.tests_passed for r in ok_runs),
        "full_models_built": full.get("models_built"),
        "wall_s": wall,
        "ingest_s": median(r.ingest_s for r in ok_runs),
        "wall_vs_full": ratio(wall, full.get("wall_s")),
        "ingest_vs_full": ratio(median(r.ingest_s for r in ok_runs), full.get("ingest_s")),
        "runs": [asdict(r) for r in runs],
    }


def rate_limited(workdir: Path, dialect: str = "ietf") -> dict[str, Any]:
    """The ELT against a demo API limited to RATE_LIMIT per RATE_WINDOW_S (one run), which
    reports its limit in one header `dialect` (the demo API's `--rate-limit-headers`).

    The share of the allowed rate comes from the server's request log (see
    `allowed_rate_share`): the client's own timings include its start-up and cannot show
    when a request reached the limiter. 429s come from both sides (server count and the
    client's summary).
    """
    ws = Workspace.create(f"rate-limited-{dialect}", workdir)
    # the vendor spec's X-RateLimit-* comes with its plain {"error": ...} 429 body
    body = "plain" if dialect == "x" else "jsonapi"
    with run_demo_api(
        seed=SEED,
        incidents=RATE_INCIDENTS,
        dashboards=RATE_DASHBOARDS,
        rate_limit=RATE_LIMIT,
        rate_window=RATE_WINDOW_S,
        faults={"rate_limit_headers": dialect, "rate_limit_body": body},
    ) as api:
        api.reset_stats()
        env = elt_env(
            ws,
            incidents=RATE_INCIDENTS,
            dashboards=RATE_DASHBOARDS,
            base_url=api.base_url,
            api_key=api.token,
        )
        _log(
            f"rate-limited ({dialect} headers): ELT against {RATE_LIMIT} requests"
            f" / {RATE_WINDOW_S:.0f}s"
        )
        run = run_elt(ws, env, "rate-limited")
        stats = api.stats()
    total = int(stats["requests_total"])
    limited = int(stats["rate_limited"])
    # what the limiter counted: 429s (and 401s, none here) take no slot
    admitted = sorted(t for t, status in stats["request_log"] if status not in (401, 429))
    span_s = admitted[-1] - admitted[0] if len(admitted) > 1 else None
    share = allowed_rate_share(admitted, RATE_LIMIT, RATE_WINDOW_S)
    extract_s = run.seconds.get("extract")
    allowed = allowed_requests(RATE_LIMIT, RATE_WINDOW_S, extract_s) if extract_s else None
    _log(
        f"rate-limited: {'ok' if run.ok else 'FAILED'} in {run.wall_s:.1f}s, {limited} x 429,"
        f" share of allowed rate {share if share is None else round(share, 3)}"
    )
    return {
        "dialect": dialect,
        "incidents": RATE_INCIDENTS,
        "dashboards": RATE_DASHBOARDS,
        "limit": RATE_LIMIT,
        "window_s": RATE_WINDOW_S,
        "ok": run.ok,
        "error": run.error,
        "wall_s": run.wall_s,
        "extract_s": extract_s,
        "requests_total": total,
        "requests_ok": total - limited,
        "requests_per_s": ratio(total - limited, extract_s),
        "server_requests_per_s": ratio(len(admitted) - 1, span_s),
        "server_span_s": span_s,
        "allowed_rate_per_s": RATE_LIMIT / RATE_WINDOW_S,
        "rate_share": share,
        "mean_slot_gap_s": ratio(RATE_WINDOW_S, share),
        "extract_allowed_share": ratio(total - limited, allowed),
        "server_429": limited,
        "client_429": run.http.get("rate_limited"),
        "client_waited_s": run.http.get("waited_seconds"),
        "share_429": ratio(limited, total),
        # admitted requests' server times, from the first: where a low share comes from
        "arrivals_s": [round(t - admitted[0], 3) for t in admitted] if admitted else [],
        "run": asdict(run),
    }
