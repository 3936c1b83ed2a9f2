"""Bad settings and bad arguments stop every command at once: one line, exit code 2, nothing
written, no request sent, no demo API started.

The property tests run the commands in this process (`cli.main`, the demo API's and the
benchmark's `main`) with values known to be bad for each setting's or flag's kind (generated
from definitions written here, not from the validators), and a few known-good controls that
must get through. The issue's own examples run as real subprocesses (`python -m cli elt`,
`just elt`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cli
from ingestion import validation
from ingestion.settings import SETTINGS, Setting
from tests.workspace import REPO_ROOT

META_KEYS = {"current_page", "next_page", "prev_page", "total_count", "total_pages", "next_cursor"}
ENV_NAMES = [s.env for s in SETTINGS]
BY_ATTR = {s.attr: s for s in SETTINGS}
PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -------------------------------------------------------------------- known-bad strategies
# Anything an environment variable can hold (no NUL, no lone surrogate), unicode included.
ENV_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)
NO_DIGITS = ENV_TEXT.filter(lambda s: not any(ch.isdigit() for ch in s))
PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
# Markers replaced, in each example's own temp folder, by a path that exists there.
EXISTING_FOLDER, EXISTING_FILE = "<existing folder>", "<existing file>"


def _numbers_outside(low: float | None, high: float | None, low_open: bool) -> st.SearchStrategy:
    numbers = st.floats(allow_nan=False, allow_infinity=False)
    below = numbers.filter(lambda x: x <= low if low_open else x < low)
    above = numbers.filter(lambda x: x > high)
    return st.one_of(
        below if low is not None else st.nothing(), above if high is not None else st.nothing()
    ).map(repr)


def _valid_list(text: str, options: set[str]) -> bool:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return bool(parts) and set(parts) <= options


def bad_values(kind: Any) -> st.SearchStrategy[str]:
    """Strings no value of `kind` can be, by definitions independent of the validators."""
    if isinstance(kind, validation.Integer):
        below = st.integers(max_value=kind.low - 1) if kind.low is not None else st.nothing()
        above = st.integers(min_value=kind.high + 1) if kind.high is not None else st.nothing()
        return st.one_of(
            st.one_of(below, above).map(str),
            ENV_TEXT.filter(lambda s: not PLAIN_INTEGER.fullmatch(s.strip())),
            st.floats(allow_nan=False).filter(lambda x: not x.is_integer()).map(repr),
            st.sampled_from(["1e3", "\uff11\uff12", "0x10", "1_000", " ", "nan", "--1"]),
        )
    if isinstance(kind, validation.Number):
        return st.one_of(
            _numbers_outside(kind.low, kind.high, kind.low_open),
            ENV_TEXT.filter(lambda s: not PLAIN_NUMBER.fullmatch(s.strip())),
            st.sampled_from(["nan", "inf", "-inf", "1e999", "\uff11", "1,5", " "]),
        )
    if isinstance(kind, validation.Boolean):
        words = {*validation.TRUE_WORDS, *validation.FALSE_WORDS}
        return ENV_TEXT.filter(lambda s: s.strip().lower() not in words)
    if isinstance(kind, validation.Choice):
        return ENV_TEXT.filter(lambda s: s.strip().lower() not in kind.options)
    if isinstance(kind, validation.Timestamp):
        return st.one_of(
            st.datetimes().map(lambda d: d.isoformat()),  # no offset
            st.dates().map(lambda d: d.isoformat()),
            NO_DIGITS,
            st.sampled_from(
                ["yesterday", "2026-02-10", "2026-13-01T00:00:00Z", "2026-02-10T25:00:00Z"]
            ),
        )
    if isinstance(kind, validation.Url):
        return st.one_of(
            ENV_TEXT.filter(lambda s: not s.strip().lower().startswith(("http://", "https://"))),
            st.sampled_from(
                [
                    "ftp://example.com/v1/",
                    "http://",
                    "https:///v1/",
                    "http://h:99999/",
                    "http:// h/",
                ]
            ),
        )
    if isinstance(kind, validation.MemoryLimit):
        return st.one_of(
            NO_DIGITS,
            st.integers(min_value=0).map(str),  # no unit
            st.sampled_from(["lots", "0MB", "0%", "150%", "-1GB", "5PB", "1KB", "12 parsecs"]),
        )
    if isinstance(kind, validation.FilePath):
        return st.sampled_from([EXISTING_FOLDER, f"{EXISTING_FILE}/below.duckdb"])
    if isinstance(kind, validation.FolderPath):
        return st.sampled_from([EXISTING_FILE, f"{EXISTING_FILE}/below"])
    if isinstance(kind, validation.Token):
        visible = st.text(
            alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1
        )
        not_visible = st.characters(
            blacklist_categories=("Cs",), blacklist_characters="\x00"
        ).filter(lambda c: not 0x21 <= ord(c) <= 0x7E)
        return st.tuples(visible, not_visible, visible).map("".join)
    if isinstance(kind, validation.ConnectionUrl):
        return ENV_TEXT.filter(lambda s: not re.match(r"\s*postgres(ql)?(\+\w*)?://", s, re.I))
    raise AssertionError(f"no known-bad strategy for {kind!r}")


# ------------------------------------------------------------------------------- fixtures
class _CountingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # every request is counted and refused
        self.server.requests += 1  # type: ignore[attr-defined]
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def counting_api() -> Iterator[ThreadingHTTPServer]:
    """A loopback API that counts the requests it gets (and refuses them all)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What a command started that it must not have: the demo API, a run, a server."""
    calls: list[str] = []

    def record(name: str):
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise RuntimeError(f"{name} started")

        return called

    monkeypatch.setattr("ingestion.demo_api.run_demo_api", record("demo API"))
    monkeypatch.setattr("ingestion.demo_api.cli.build_server", record("demo API server"))
    monkeypatch.setattr("ingestion.demo_api.cli.save_state", record("demo API state"))
    monkeypatch.setattr("bench.__main__.run", record("bench"))
    monkeypatch.setattr("analyst.query.connect_read_only", record("query"))
    monkeypatch.setattr("analyst.report.build_report", record("report"))
    monkeypatch.setattr("analyst.status.gather", record("status"))
    monkeypatch.setattr("subprocess.run", record("dbt docs"))
    monkeypatch.setattr("os.execv", record("harlequin"))
    monkeypatch.setattr("os.execvpe", record("dbt docs serve"))
    return calls


class Sandbox:
    """One example's temp folder: the warehouse, dlt's folders and demo state go here."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "a-folder").mkdir()
        (root / "a-file").write_text("")
        self.before = self.listing()

    def listing(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*"))

    def env(self, counting_api: ThreadingHTTPServer) -> dict[str, str]:
        return {
            "DESTINATION__DUCKDB__CREDENTIALS": str(self.root / "warehouse.duckdb"),
            "ELT__PIPELINES_DIR": str(self.root / "pipelines"),
            "ELT__DEMO_API__STATE_DIR": str(self.root / "demo_api"),
            "SOURCES__ANALYTICS_API__BASE_URL": f"http://127.0.0.1:{counting_api.server_port}/v1/",
            "API_KEY": "test-token",
            "DBT_TARGET_PATH": str(self.root / "dbt_target"),
        }

    def path(self, value: str) -> str:
        return value.replace(EXISTING_FOLDER, str(self.root / "a-folder")).replace(
            EXISTING_FILE, str(self.root / "a-file")
        )


def run_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    counting_api: ThreadingHTTPServer,
    main: Any,
    argv: list[str],
    env: dict[str, str] | None = None,
) -> tuple[int, str, Sandbox, int]:
    """`main(argv)` in a fresh sandbox with `env` set; (exit code, stderr, sandbox, requests)."""
    with tempfile.TemporaryDirectory() as tmp, monkeypatch.context() as patch:
        box = Sandbox(Path(tmp))
        for name in ENV_NAMES:
            patch.delenv(name, raising=False)
        for name, value in (box.env(counting_api) | (env or {})).items():
            patch.setenv(name, box.path(value))
        requests_before = counting_api.requests  # type: ignore[attr-defined]
        capsys.readouterr()
        code = main([box.path(arg) for arg in argv])
        err = capsys.readouterr().err
        assert box.listing() == box.before, f"{argv} {env}: wrote {box.listing()}"
        return code, err, box, counting_api.requests - requests_before  # type: ignore[attr-defined]


def assert_refused(code: int, err: str, requests: int, started: list[str], *names: str) -> str:
    """Exit 2, one line naming each of `names`, no traceback, nothing started or sent."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    for name in names:
        assert name in lines[0], f"{name} not named in {lines[0]!r}"
    assert requests == 0, f"{requests} requests sent: {err}"
    assert started == [], f"started {started}: {err}"
    return lines[0]


# ------------------------------------------------------------------------ bad settings
@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
@PROPERTY
@given(data=st.data())
def test_a_random_bad_value_of_any_setting_stops_elt(
    setting: Setting, data, monkeypatch, capsys, counting_api, started
):
    value = data.draw(bad_values(setting.kind), label=setting.env)
    code, err, _, requests = run_command(
        monkeypatch, capsys, counting_api, cli.main, ["elt"], {setting.env: value}
    )
    line = assert_refused(code, err, requests, started, setting.key, setting.env)
    assert line.startswith(f"ELT failed: bad setting {setting.key} ")
    assert f"expected {setting.kind.accepts}" in line
    if setting.secret:  # named and placed, never shown
        assert f"{setting.key} (a secret, not shown; from env {setting.env}): expected" in line


@PROPERTY
@given(data=st.data())
def test_several_bad_settings_are_all_named_in_one_line(
    data, monkeypatch, capsys, counting_api, started
):
    chosen = data.draw(st.lists(st.sampled_from(SETTINGS), min_size=2, max_size=6, unique=True))
    env = {s.env: data.draw(bad_values(s.kind), label=s.env) for s in chosen}
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, ["elt"], env)
    line = assert_refused(code, err, requests, started, *(s.short_name for s in chosen))
    assert line.startswith(f"ELT failed: {len(chosen)} bad settings: ")


@pytest.mark.parametrize("command", ["query", "shell", "report", "status", "docs"])
def test_the_analyst_commands_check_the_settings_too(
    command, monkeypatch, capsys, counting_api, started
):
    argv = [command, "select 1"] if command == "query" else [command]
    env = {"ELT__DUCKDB_MEMORY_LIMIT": "lots", "ELT__PROGRESS": "perhaps"}
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, argv, env)
    line = assert_refused(code, err, requests, started, "duckdb_memory_limit", "progress")
    assert line.startswith(f"{command} failed: 2 bad settings: ")


# ---------------------------------------------------------------------- good controls
class _Summary:
    def render(self) -> str:
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {}


def good_values(setting: Setting) -> st.SearchStrategy[tuple[str, Any]]:
    """(value, what the run gets) pairs that must be accepted; "" is unset: the default."""
    kind = setting.kind
    unset = st.just(
        ("", setting.kind.parse(setting.default) if setting.default is not None else None)
    )
    if isinstance(kind, validation.Integer):
        ints = st.integers(kind.low, kind.high)
        return st.one_of(unset, ints.map(lambda n: (f" {n} ", n)))
    if isinstance(kind, validation.Number):
        numbers = st.floats(kind.low, kind.high, exclude_min=kind.low_open, allow_nan=False)
        return st.one_of(unset, numbers.map(lambda x: (repr(x), x)))
    if isinstance(kind, validation.Boolean):
        return st.sampled_from([("Yes", True), ("off", False), ("1", True), ("FALSE", False)])
    explicit = {
        validation.Choice: [("DuckDB", "duckdb")],
        validation.Timestamp: [("2026-02-10T09:00:00+09:00", "2026-02-10T09:00:00+09:00")],
        validation.Url: [("https://api.example.com/v1/", "https://api.example.com/v1/")],
        validation.MemoryLimit: [("2 GiB", "2 GiB"), ("80%", "80%"), ("0.5gb", "0.5gb")],
        validation.Token: [("tok.en-1", None)],
        validation.ConnectionUrl: [("postgresql://u:p@localhost:5432/db", None)],
    }
    for kind_type, pairs in explicit.items():
        if isinstance(kind, kind_type):
            return st.one_of(unset, st.sampled_from(pairs))
    return unset  # paths: the sandbox's own are set by every example


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_good_value_of_any_setting_gets_through(setting, data, monkeypatch, capsys, counting_api):
    value, expected = data.draw(good_values(setting))
    runs: list[Any] = []
    monkeypatch.setattr("ingestion.run.run_elt", lambda s, o: runs.append(s) or _Summary())
    code, err, _, _ = run_command(
        monkeypatch, capsys, counting_api, cli.main, ["elt"], {setting.env: value}
    )
    assert (code, err) == (0, ""), err
    (run,) = runs
    if not setting.secret:
        assert getattr(run, setting.attr) == expected


# ------------------------------------------------------------------------ bad arguments
def _run_demo_api(argv: list[str]) -> int:
    from ingestion.demo_api.cli import main

    return main(argv)


def _run_bench(argv: list[str]) -> int:
    from bench.__main__ import main

    return main(argv)


NON_NEGATIVE_BAD = bad_values(validation.Integer(0))
POSITIVE_BAD = bad_values(validation.Integer(1))
SHARE_BAD = bad_values(validation.Number(0, 1))
PORT_BAD = bad_values(validation.Integer(1, 65535))
MISSING_FOLDER = st.sampled_from(["/nonexistent-folder/out.csv", EXISTING_FOLDER])

# (id, main, argv before the value, flag, known-bad values, argv after the value)
ARGUMENTS = [
    (
        "elt --target",
        cli.main,
        ["elt"],
        "--target",
        bad_values(validation.Choice(("duckdb", "postgres"))),
    ),
    (
        "elt target=",
        cli.main,
        ["elt"],
        "target=",
        bad_values(validation.Choice(("duckdb", "postgres"))),
    ),
    ("elt full_refresh=", cli.main, ["elt"], "full_refresh=", bad_values(validation.Boolean())),
    ("elt --summary-json", cli.main, ["elt"], "--summary-json", MISSING_FOLDER),
    ("query --limit", cli.main, ["query", "select 1"], "--limit", NON_NEGATIVE_BAD),
    (
        "query --format",
        cli.main,
        ["query", "select 1"],
        "--format",
        bad_values(validation.Choice(("table", "csv", "json", "parquet"))),
    ),
    ("query --output", cli.main, ["query", "select 1"], "--output", MISSING_FOLDER),
    ("report --output", cli.main, ["report"], "--output", MISSING_FOLDER),
    ("docs --port", cli.main, ["docs"], "--port", PORT_BAD),
    (
        "demo-api --port",
        _run_demo_api,
        ["serve"],
        "--port",
        bad_values(validation.Integer(0, 65535)),
    ),
    (
        "demo-api --host",
        _run_demo_api,
        ["serve"],
        "--host",
        st.sampled_from(["a b", "-x", "h_st", "..", "ä" * 300]),
    ),
    ("demo-api --seed", _run_demo_api, ["serve"], "--seed", NON_NEGATIVE_BAD),
    ("demo-api --incidents", _run_demo_api, ["serve"], "--incidents", NON_NEGATIVE_BAD),
    ("demo-api --dashboards", _run_demo_api, ["serve"], "--dashboards", NON_NEGATIVE_BAD),
    ("demo-api --change-fraction", _run_demo_api, ["serve"], "--change-fraction", SHARE_BAD),
    (
        "demo-api --state-dir",
        _run_demo_api,
        ["serve"],
        "--state-dir",
        st.sampled_from([EXISTING_FILE]),
    ),
    ("demo-api --rate-limit", _run_demo_api, ["serve"], "--rate-limit", POSITIVE_BAD),
    (
        "demo-api --rate-window",
        _run_demo_api,
        ["serve"],
        "--rate-window",
        bad_values(validation.Number(0, low_open=True)),
    ),
    (
        "demo-api --rate-limit-headers",
        _run_demo_api,
        ["serve"],
        "--rate-limit-headers",
        bad_values(validation.Choice(("ietf", "ietf-delta", "x", "none"))),
    ),
    (
        "demo-api --rate-limit-body",
        _run_demo_api,
        ["serve"],
        "--rate-limit-body",
        bad_values(validation.Choice(("jsonapi", "plain", "empty"))),
    ),
    ("demo-api --error-rate", _run_demo_api, ["serve"], "--error-rate", SHARE_BAD),
    (
        "demo-api --error-status",
        _run_demo_api,
        ["serve"],
        "--error-status",
        bad_values(validation.Integer(400, 599)),
    ),
    (
        "demo-api --slow-ms",
        _run_demo_api,
        ["serve"],
        "--slow-ms",
        bad_values(validation.Integer(0, 600_000)),
    ),
    ("demo-api --truncate-page", _run_demo_api, ["serve"], "--truncate-page", POSITIVE_BAD),
    ("demo-api --html-page", _run_demo_api, ["serve"], "--html-page", POSITIVE_BAD),
    ("demo-api --no-data-page", _run_demo_api, ["serve"], "--no-data-page", POSITIVE_BAD),
    (
        "demo-api --rename-field",
        _run_demo_api,
        ["serve"],
        "--rename-field",
        NO_DIGITS.filter(lambda s: "=" not in s),
    ),
    (
        "demo-api --retype-field",
        _run_demo_api,
        ["serve"],
        "--retype-field",
        st.sampled_from(["title", "title=date", "=int", "title="]),
    ),
    ("demo-api --fault-from-page", _run_demo_api, ["serve"], "--fault-from-page", POSITIVE_BAD),
    ("demo-api --duplicate-rate", _run_demo_api, ["serve"], "--duplicate-rate", SHARE_BAD),
    (
        "demo-api --fail-after-pages",
        _run_demo_api,
        ["serve"],
        "--fail-after-pages",
        NON_NEGATIVE_BAD,
    ),
    (
        "demo-api --fault-resource",
        _run_demo_api,
        ["serve"],
        "--fault-resource",
        bad_values(validation.Choice(("incidents", "dashboards"))),
    ),
    (
        "demo-api --omit-meta",
        _run_demo_api,
        ["serve"],
        "--omit-meta",
        NO_DIGITS.filter(lambda s: not _valid_list(s, META_KEYS)),
    ),
    (
        "demo-api --churn-per-page",
        _run_demo_api,
        ["serve"],
        "--churn-per-page",
        bad_values(validation.Number(0, 1000)),
    ),
    ("demo-api --churn-delete-share", _run_demo_api, ["serve"], "--churn-delete-share", SHARE_BAD),
    ("demo-api change --count", _run_demo_api, ["change"], "--count", NON_NEGATIVE_BAD),
    ("demo-api ground-truth --output", _run_demo_api, ["ground-truth"], "--output", MISSING_FOLDER),
    (
        "bench --scales",
        _run_bench,
        [],
        "--scales",
        NO_DIGITS.filter(lambda s: not _valid_list(s, {"small", "medium", "large"})),
    ),
    ("bench --repeat", _run_bench, [], "--repeat", bad_values(validation.Integer(1, 100))),
    (
        "bench --rate-limit-dialects",
        _run_bench,
        [],
        "--rate-limit-dialects",
        NO_DIGITS.filter(lambda s: not _valid_list(s, {"ietf", "ietf-delta", "x", "none"})),
    ),
    (
        "bench --output",
        _run_bench,
        [],
        "--output",
        st.sampled_from(["/nonexistent-folder/results", EXISTING_FILE]),
    ),
]


@pytest.mark.parametrize(
    ("main", "before", "flag", "values"), [a[1:] for a in ARGUMENTS], ids=[a[0] for a in ARGUMENTS]
)
@PROPERTY
@given(data=st.data())
def test_a_random_bad_argument_stops_the_command(
    main, before, flag, values, data, monkeypatch, capsys, counting_api, started
):
    value = data.draw(values, label=flag)
    argv = [*before, f"{flag}{value}" if flag.endswith("=") else f"{flag}={value}"]
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, main, argv)
    line = assert_refused(code, err, requests, started, flag.rstrip("="))
    assert ": " in line and not line.startswith("usage:")


@PROPERTY
@given(
    moments=st.lists(
        st.datetimes(timezones=st.just(UTC)), min_size=2, max_size=2, unique=False
    ).map(sorted)
)
def test_a_backfill_must_start_before_it_ends(moments, monkeypatch, capsys, counting_api, started):
    later, earlier = (m.isoformat() for m in reversed(moments))
    argv = ["elt", "--backfill", later, earlier]
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, argv)
    line = assert_refused(code, err, requests, started, "--backfill")
    assert line == f"elt: --backfill: FROM {later} is not before TO {earlier}"


@PROPERTY
@given(data=st.data())
def test_a_backfill_needs_iso_timestamps_with_an_offset(
    data, monkeypatch, capsys, counting_api, started
):
    bad = data.draw(bad_values(validation.Timestamp()).filter(lambda s: not s.startswith("-")))
    good = "2026-02-01T00:00:00Z"
    argv = ["elt", "--backfill", *data.draw(st.permutations([bad, good]))]
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, argv)
    line = assert_refused(code, err, requests, started, "--backfill")
    assert "is not an ISO-8601 timestamp with an offset (e.g. 2026-02-10T00:00:00Z)" in line


@PROPERTY
@given(
    extra=ENV_TEXT.filter(
        lambda s: not s.startswith("-") and "=" not in s and s not in cli.COMMANDS
    )
)
def test_unknown_arguments_are_one_line(extra, monkeypatch, capsys, counting_api, started):
    for argv in (["elt", extra], ["status", extra], ["report", extra], ["docs", extra]):
        code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, argv)
        assert_refused(code, err, requests, started, "unrecognized arguments")
    code, err, _, requests = run_command(monkeypatch, capsys, counting_api, cli.main, [extra])
    assert_refused(code, err, requests, started, "is not one of elt")


@pytest.mark.parametrize(
    ("main", "argv", "lists"),
    [
        (cli.main, ["elt", "--help"], ["--backfill FROM TO", "--target", "--summary-json"]),
        (cli.main, ["query", "--help"], ["--format", "--output", "--limit"]),
        (cli.main, ["report", "--help"], ["--output"]),
        (cli.main, ["status", "--help"], ["usage: just status"]),
        (cli.main, ["docs", "--help"], ["--port"]),
        (_run_demo_api, ["serve", "--help"], ["--port", "--rate-limit", "--omit-meta"]),
        (_run_bench, ["--help"], ["--scales", "--repeat", "--output"]),
    ],
)
def test_help_still_prints_the_full_help(main, argv, lists, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith("usage: ")
    for flag in lists:
        assert flag in out


# ------------------------------------------------------------- the issue's table, for real
ISSUE_ROWS = [
    (
        {"SOURCES__ANALYTICS_API__PAGE_SIZE": "abc"},
        [],
        "ELT failed: bad setting sources.analytics_api.page_size = 'abc' (from env"
        " SOURCES__ANALYTICS_API__PAGE_SIZE): expected an integer from 1 to 100",
    ),
    (
        {"SOURCES__ANALYTICS_API__PAGE_SIZE": "500"},
        [],
        "ELT failed: bad setting sources.analytics_api.page_size = '500' (from env"
        " SOURCES__ANALYTICS_API__PAGE_SIZE): expected an integer from 1 to 100",
    ),
    (
        {"SOURCES__ANALYTICS_API__INITIAL_UPDATED_AT": "yesterday"},
        [],
        "ELT failed: bad setting sources.analytics_api.initial_updated_at = 'yesterday' (from env"
        " SOURCES__ANALYTICS_API__INITIAL_UPDATED_AT): expected an ISO-8601 timestamp with an"
        " offset (e.g. 2026-02-10T00:00:00Z)",
    ),
    (
        {"SOURCES__ANALYTICS_API__LAG_SECONDS": "-5"},
        [],
        "ELT failed: bad setting sources.analytics_api.lag_seconds = '-5' (from env"
        " SOURCES__ANALYTICS_API__LAG_SECONDS): expected an integer from 0 to 604800 (seconds)",
    ),
    (
        {"RUNTIME__REQUEST_TIMEOUT": "-1"},
        [],
        "ELT failed: bad setting runtime.request_timeout = '-1' (from env"
        " RUNTIME__REQUEST_TIMEOUT): expected a number above 0, at most 86400 (seconds)",
    ),
    (
        {"ELT__DUCKDB_MEMORY_LIMIT": "lots"},
        [],
        "ELT failed: bad setting elt.duckdb_memory_limit = 'lots' (from env"
        " ELT__DUCKDB_MEMORY_LIMIT): expected a DuckDB memory size: a number and KB, MB, GB, TB,"
        " KiB, MiB, GiB or TiB (e.g. 384MB, 2 GiB; at least 1MB), or a share of RAM (e.g. 80%)",
    ),
    (
        {"SOURCES__ANALYTICS_API__BASE_URL": "ftp://files.example.com/v1/"},
        [],
        "ELT failed: bad setting sources.analytics_api.base_url = 'ftp://files.example.com/v1/'"
        " (from env SOURCES__ANALYTICS_API__BASE_URL): expected an http(s) URL with a host"
        " (e.g. https://api.rootly.com/v1/)",
    ),
    (
        {},
        ["--backfill", "2026-02-10", "2026-02-01"],
        "elt: --backfill: '2026-02-10' is not an ISO-8601 timestamp with an offset"
        " (e.g. 2026-02-10T00:00:00Z)",
    ),
    (
        {},
        ["--backfill", "2026-02-10T00:00:00Z", "2026-02-01T00:00:00Z"],
        "elt: --backfill: FROM 2026-02-10T00:00:00Z is not before TO 2026-02-01T00:00:00Z",
    ),
]


def _isolated_env(root: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env |= {
        "DESTINATION__DUCKDB__CREDENTIALS": str(root / "warehouse.duckdb"),
        "ELT__PIPELINES_DIR": str(root / "pipelines"),
        "ELT__DEMO_API__STATE_DIR": str(root / "demo_api"),
    }
    return env | extra


@pytest.mark.parametrize(("env", "args", "expected"), ISSUE_ROWS, ids=lambda p: str(p)[:60])
def test_each_mistyped_setting_of_the_issue_is_one_line(env, args, expected, tmp_path):
    """`python -m cli elt` as `just elt` runs it: the line, exit 2, nothing created."""
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "elt", *args],
        cwd=REPO_ROOT,
        env=_isolated_env(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, expected + "\n", "")
    assert list(tmp_path.iterdir()) == []


def test_just_elt_prints_the_same_line(tmp_path):
    """Through the justfile (which adds only its own `error: recipe` trailer)."""
    env, args, expected = ISSUE_ROWS[0]
    proc = subprocess.run(
        ["just", "elt", *args],
        cwd=REPO_ROOT,
        env=_isolated_env(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("error: recipe")]
    assert (proc.returncode, lines) == (2, [expected])
    assert list(tmp_path.iterdir()) == []
