"""What each kind of setting or argument accepts (`ingestion/validation.py`), the settings'
one description (`SETTINGS`), where a value came from, and the one-line messages."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields

import duckdb
import pytest

from ingestion import validation
from ingestion.settings import (
    REPO_ROOT,
    SETTINGS,
    Found,
    Settings,
    load_settings,
    lookup,
    resolve_all,
)
from ingestion.validation import BadSettings, BadValue, CommaList

ENV_NAMES = [s.env for s in SETTINGS]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting comes from this process's environment unless the test sets it."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def refused(kind, value) -> bool:
    try:
        kind.parse(value)
    except BadValue:
        return True
    return False


# ----------------------------------------------------------------------------------- kinds
@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (
            validation.Integer(1, 100),
            [("1", 1), (" 100 ", 100), (50, 50), ("+7", 7)],
            [
                "0",
                "101",
                "abc",
                "1.5",
                "1e2",
                "\uff11\uff12",
                "0x10",
                "1_000",
                "",
                " ",
                True,
                2.0,
                None,
            ],
        ),
        (
            validation.Number(0, 10, low_open=True),
            [("0.5", 0.5), ("10", 10.0), (3, 3.0), (".5", 0.5), ("1e1", 10.0)],
            ["0", "-1", "10.01", "nan", "inf", "1e999", "five", "", False, [1]],
        ),
        (
            validation.Boolean(),
            [
                ("true", True),
                ("OFF", False),
                (" Yes ", True),
                ("0", False),
                (True, True),
                (1, True),
            ],
            ["maybe", "tru", "", "2", 2, None, "ja"],
        ),
        (
            validation.Timestamp(),
            [
                ("2026-02-10T00:00:00Z", "2026-02-10T00:00:00Z"),
                ("2026-02-10T09:30+09:00", "2026-02-10T09:30+09:00"),
                ("2026-02-10T00:00:00.123456789-07:00", "2026-02-10T00:00:00.123456789-07:00"),
            ],
            [
                "yesterday",
                "2026-02-10",
                "2026-02-10T00:00:00",
                "2026-13-01T00:00:00Z",
                "2026-02-10T25:00:00Z",
                "2026-02-10T00:00:00+24:00",
                "20260210T000000Z",
                "",
                1707523200,
            ],
        ),
        (
            validation.Url(),
            [
                ("https://api.rootly.com/v1/", "https://api.rootly.com/v1/"),
                ("HTTP://[::1]:8/", None),
            ],
            [
                "ftp://example.com/",
                "example.com/v1/",
                "http://",
                "https:///v1/",
                "http://host:99999/",
                "http://host:0/",
                "http:// x/",
                "http://a..b/",
                "",
            ],
        ),
        (
            validation.MemoryLimit(),
            [("384MB", "384MB"), ("1GiB", None), ("80%", None), ("0.5GB", None), ("2 gb", None)],
            ["lots", "100", "1KB", "0MB", "0%", "150%", "-1GB", "5PB", "1 B", "", "\uff11GB", 384],
        ),
        (
            CommaList(("small", "medium")),
            [("small", ["small"]), (" medium , small ", ["medium", "small"])],
            ["", ",", "large", "small,large"],
        ),
        (
            validation.Host(),
            [("127.0.0.1", None), ("localhost", None), ("::1", None)],
            ["a b", "", "-x"],
        ),
        (validation.Token(), [(" abc.DEF-1 ", "abc.DEF-1")], ["a b", "tøken", "", 12345]),
        (
            validation.ConnectionUrl(),
            [("postgresql://u:p@h:5432/d", None), ({"host": "h"}, None)],
            ["mysql://x", "localhost:5432", "", 5],
        ),
    ],
    ids=lambda p: type(p).__name__ if not isinstance(p, list) else "values",
)
def test_each_kind_parses_the_good_and_refuses_the_bad(kind, good, bad):
    for value, expected in good:
        parsed = kind.parse(value)
        if expected is not None:
            assert parsed == expected, (kind, value)
    for value in bad:
        with pytest.raises(BadValue) as caught:
            kind.parse(value)
        assert caught.value.accepts == kind.accepts


def test_memory_sizes_are_the_ones_duckdb_accepts():
    """Accepted: DuckDB opens a database with it. Refused: DuckDB refuses it too, or it is
    a value DuckDB reads differently from what it says (a negative size = no limit)."""
    for value in ("384MB", "1GiB", "80%", "0.5GB", "2 GB", "1 tib", "1MB"):
        assert not refused(validation.MemoryLimit(), value)
        duckdb.connect(config={"memory_limit": value}).close()
    for value in ("lots", "100", "5PB", "150%", "0MB", "1KB"):
        assert refused(validation.MemoryLimit(), value)
        with pytest.raises(duckdb.Error), duckdb.connect(config={"memory_limit": value}) as con:
            con.execute("select current_setting('memory_limit')").fetchall()
    for value in ("-1GB", "1e3MB"):  # DuckDB takes them; the setting asks for a plain size
        assert refused(validation.MemoryLimit(), value)


def test_paths_refuse_a_folder_for_a_file_and_a_file_for_a_folder(tmp_path):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "a-folder").mkdir()
    assert validation.FilePath(tmp_path).parse("new.duckdb") == str(tmp_path / "new.duckdb")
    assert validation.FilePath(tmp_path).parse("deeper/new.duckdb") == str(
        tmp_path / "deeper/new.duckdb"
    )
    assert validation.FolderPath(tmp_path).parse("a-folder") == str(tmp_path / "a-folder")
    for kind, value in [
        (validation.FilePath(tmp_path), "a-folder"),
        (validation.FilePath(tmp_path), "a-file/below"),
        (validation.FilePath(tmp_path, parent_must_exist=True), "deeper/new.duckdb"),
        (validation.FolderPath(tmp_path), "a-file"),
        (validation.FolderPath(tmp_path), "a-file/below"),
        (validation.FolderPath(tmp_path), "line\nbreak"),
    ]:
        assert refused(kind, value), (kind, value)
    assert (
        validation.FilePath(tmp_path, connection_strings=True).parse("duckdb:///x") == "duckdb:///x"
    )


# ------------------------------------------------------------------- the one description
def test_every_default_is_accepted_by_its_own_kind():
    for setting in SETTINGS:
        if setting.default is not None:
            setting.kind.parse(setting.default)


def test_settings_has_a_field_for_every_setting_but_the_secrets():
    assert [f.name for f in fields(Settings)] == [s.attr for s in SETTINGS if not s.secret]
    assert len({s.key for s in SETTINGS}) == len(SETTINGS)


def test_settings_still_unpack_as_the_four_tuples_they_were():
    """`attr, key, default, description = setting` (tests elsewhere unpack them so)."""
    for setting in SETTINGS:
        assert tuple(setting) == (setting.attr, setting.key, setting.default, setting.description)


def test_with_no_settings_set_every_default_applies(clean_env):
    settings = load_settings()
    assert settings.page_size == 50 and settings.progress is True
    assert settings.duckdb_path == str(REPO_ROOT / "data/warehouse.duckdb")


def test_an_empty_value_counts_as_unset(clean_env):
    clean_env.setenv("SOURCES__ANALYTICS_API__PAGE_SIZE", "")
    clean_env.setenv("ELT__PROGRESS", "")
    assert lookup(next(s for s in SETTINGS if s.attr == "page_size")) is None
    settings = load_settings()
    assert (settings.page_size, settings.progress) == (50, True)


def test_values_are_parsed_to_their_types(clean_env):
    clean_env.setenv("SOURCES__ANALYTICS_API__PAGE_SIZE", " 100 ")
    clean_env.setenv("ELT__PROGRESS", "off")
    clean_env.setenv("RUNTIME__REQUEST_TIMEOUT", "0.5")
    clean_env.setenv("ELT__TARGET", "DuckDB")
    settings = load_settings()
    assert (settings.page_size, settings.progress, settings.request_timeout) == (100, False, 0.5)
    assert settings.target == "duckdb"


def test_a_flag_wins_over_every_provider_and_is_named_as_the_source(clean_env):
    clean_env.setenv("ELT__TARGET", "nonsense")
    assert load_settings({"target": Found("duckdb", "--target")}).target == "duckdb"
    with pytest.raises(BadSettings) as caught:
        load_settings({"target": Found("mysql", "--target")})
    assert "(from --target): expected one of duckdb, postgres" in str(caught.value)


# -------------------------------------------------------------------------------- messages
def test_one_bad_setting_is_one_line_naming_key_value_source_and_what_it_accepts(clean_env):
    clean_env.setenv("SOURCES__ANALYTICS_API__PAGE_SIZE", "abc")
    with pytest.raises(BadSettings) as caught:
        load_settings()
    assert caught.value.line("ELT failed") == (
        "ELT failed: bad setting sources.analytics_api.page_size = 'abc' (from env"
        " SOURCES__ANALYTICS_API__PAGE_SIZE): expected an integer from 1 to 100"
    )


def test_three_bad_settings_are_named_in_one_line(clean_env):
    clean_env.setenv("SOURCES__ANALYTICS_API__PAGE_SIZE", "abc")
    clean_env.setenv("SOURCES__ANALYTICS_API__LAG_SECONDS", "-5")
    clean_env.setenv("RUNTIME__REQUEST_TIMEOUT", "0")
    with pytest.raises(BadSettings) as caught:
        load_settings()
    line = caught.value.line("ELT failed")
    assert line.startswith("ELT failed: 3 bad settings: page_size = 'abc' (env ")
    for name in ("PAGE_SIZE", "LAG_SECONDS", "REQUEST_TIMEOUT", "'-5'", "'0'"):
        assert name in line
    assert "\n" not in line and len(line) <= len("ELT failed: ") + 300


def test_a_line_for_every_setting_still_names_every_one(clean_env):
    """Past 300 characters it says less about each, never leaves one out."""
    for setting in SETTINGS:
        clean_env.setenv(setting.env, "\u2028 not valid for anything \x1b[31m" + "x" * 300)
    with pytest.raises(BadSettings) as caught:
        load_settings()
    line = caught.value.line("ELT failed")
    assert line.startswith(f"ELT failed: {len(SETTINGS)} bad settings: ")
    assert len(line.splitlines()) == 1 and "\x1b" not in line and "\u2028" not in line
    for setting in SETTINGS:
        assert setting.short_name in line


def test_a_long_value_is_cut_and_control_characters_are_escaped(clean_env):
    clean_env.setenv("ELT__TARGET", "\n" + "y" * 500)
    with pytest.raises(BadSettings) as caught:
        load_settings()
    line = caught.value.line("ELT failed")
    assert "'\\nyyy" in line and "…'" in line and len(line) < 200


def test_a_secret_is_named_but_never_shown(clean_env):
    clean_env.setenv("API_KEY", "sekrit value")
    clean_env.setenv("DESTINATION__POSTGRES__CREDENTIALS", "mysql://user:sekrit@h/db")
    with pytest.raises(BadSettings) as caught:
        resolve_all()
    line = caught.value.line("ELT failed")
    assert "sekrit" not in line
    assert "api_key (a secret, not shown; env API_KEY)" in line
    assert "postgres.credentials (a secret, not shown; env DESTINATION__POSTGRES__" in line


def test_postgres_without_credentials_names_the_missing_setting(clean_env):
    clean_env.setenv("ELT__TARGET", "postgres")
    with pytest.raises(BadSettings) as caught:
        load_settings()
    assert "destination.postgres.credentials is not set (needed as elt.target is postgres," in (
        str(caught.value)
    )


# ----------------------------------------------------------------------------- provenance
def elt_in_project_folder(folder, **env_overrides: str) -> subprocess.CompletedProcess[str]:
    """`python -m cli elt` run from ``folder`` (dlt reads `.dlt/` from the working directory)
    with none of the settings' variables inherited, its warehouse and dlt folder inside."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env |= {
        "PYTHONPATH": str(REPO_ROOT),
        "DESTINATION__DUCKDB__CREDENTIALS": str(folder / "w.duckdb"),
        "ELT__PIPELINES_DIR": str(folder / "pipelines"),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", "elt"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_source_is_the_file_or_variable_that_supplied_the_value(tmp_path):
    """A project folder of its own, with both TOML files: dlt reads `.dlt/` from the working
    directory. Checks the provider names and locations dlt reports (its public
    `ConfigProvider` interface), which `settings.lookup` relies on."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.analytics_api]\npage_size = 0\nlag_seconds = "-1"\ninitial_updated_at = 7\n'
    )
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        'api_key = "has space"\n[runtime]\nrequest_timeout = 0\n'
        "[sources.analytics_api]\ndeletion_check_hours = -1\n"
    )
    proc = elt_in_project_folder(
        tmp_path,
        SOURCES__ANALYTICS_API__LAG_SECONDS="",  # empty: the file's value applies
        SOURCES__ANALYTICS_API__INITIAL_UPDATED_AT="2026-01-01T00:00:00Z",  # env wins
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("ELT failed: 5 bad settings: "), line
    for part in (
        "page_size = 0 (.dlt/config.toml)",
        "lag_seconds = '-1' (.dlt/config.toml)",
        "deletion_check_hours = -1 (.dlt/secrets.toml)",
        "request_timeout = 0 (.dlt/secrets.toml)",
        "api_key (a secret, not shown; .dlt/secrets.toml)",
    ):
        assert part in line, f"{part!r} not in {line!r}: dlt's config providers changed?"
    assert "has space" not in proc.stderr and "initial_updated_at" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dlt"]


def test_a_settings_file_that_is_not_toml_is_one_line(tmp_path):
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text("[elt\npage_size = \n")
    proc = elt_in_project_folder(tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("ELT failed: cannot read the settings file .dlt/config.toml: ")
    assert len(proc.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dlt"]
