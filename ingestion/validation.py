"""What a setting or a command-line argument accepts, checked before a command does anything.

Each kind below turns one value (a string from the environment or the command line, or a
TOML value) into what the code uses, or raises `BadValue`; it also says in words what it
accepts. Those words are docs/configuration.md's settings table ("accepts") and every message
about a bad value, so the documentation and the check cannot drift apart.

A command that gets a bad value says so in one line on stderr and exits 2 (`BadInput`):
`ELT failed: bad setting ... (from env ...): expected ...` for settings (all of them at once,
see `BadSettings`), `elt: --backfill: ... is not ...` for arguments (`BadArguments`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit


class BadValue(ValueError):
    """A value its kind does not accept: what the kind accepts, and what is wrong if more
    specific (`detail`, e.g. "it is a folder")."""

    def __init__(self, accepts: str, detail: str | None = None) -> None:
        super().__init__(accepts if detail is None else f"{accepts} ({detail})")
        self.accepts = accepts
        self.detail = detail


def shown(value: Any, limit: int = 40) -> str:
    """`value` as a message quotes it: its repr (control characters and line breaks escaped,
    so it stays one line), cut to about `limit` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    quote = text[-1] if text[-1] in "'\"" else ""
    return f"{text[: limit - 2]}…{quote}"


def printable(text: str) -> str:
    """`text` on one line: every character that is not printable is escaped (`\\n`)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --------------------------------------------------------------------------------- kinds
class Kind:
    """One type of value: `parse` it, or say what it accepts, in a sentence (`accepts`) and
    in a few words (`short`, for a line that names many settings). Each kind defines both,
    as class constants or as properties of its parameters."""

    accepts: str
    short: str

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def bad(self, detail: str | None = None) -> BadValue:
        return BadValue(self.accepts, detail)

    def text(self, value: Any) -> str:
        """A string value, stripped of surrounding whitespace; anything else is bad."""
        if not isinstance(value, str):
            raise self.bad()
        return value.strip()


_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def _range_words(low: float | None, high: float | None, low_open: bool) -> tuple[str, str]:
    """(" from 1 to 100", "1-100") and the like, for a number's range."""
    lo = None if low is None else _number_text(low)
    hi = None if high is None else _number_text(high)
    if lo is not None and hi is not None:
        if low_open:
            return f" above {lo}, at most {hi}", f">{lo}, <={hi}"
        return f" from {lo} to {hi}", f"{lo}-{hi}"
    if lo is not None:
        return (f" above {lo}", f">{lo}") if low_open else (f" of at least {lo}", f">={lo}")
    if hi is not None:
        return f" of at most {hi}", f"<={hi}"
    return "", ""


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number in [low, high]; `unit` (e.g. "seconds") is only said."""

    low: int | None = None
    high: int | None = None
    unit: str = ""

    @property
    def accepts(self) -> str:
        words, _ = _range_words(self.low, self.high, False)
        unit = f" ({self.unit})" if self.unit else ""
        return f"an integer{words}{unit}"

    @property
    def short(self) -> str:
        _, span = _range_words(self.low, self.high, False)
        return f"int {span}".strip()

    def parse(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.bad()
        if isinstance(value, str):
            text = value.strip()
            # more digits than any range here allows; int() would refuse past 4300 anyway
            if not _INTEGER.fullmatch(text) or len(text) > 30:
                raise self.bad()
            value = int(text)
        if not isinstance(value, int):
            raise self.bad()
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise self.bad()
        return value


@dataclass(frozen=True)
class Number(Kind):
    """A finite decimal number in [low, high] (or (low, high] with `low_open`)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    unit: str = ""

    @property
    def accepts(self) -> str:
        words, _ = _range_words(self.low, self.high, self.low_open)
        unit = f" ({self.unit})" if self.unit else ""
        return f"a number{words}{unit}"

    @property
    def short(self) -> str:
        _, span = _range_words(self.low, self.high, self.low_open)
        return f"number {span}".strip()

    def parse(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self.bad()
        if isinstance(value, str):
            text = value.strip()
            if not _DECIMAL.fullmatch(text):
                raise self.bad()
            value = float(text)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise self.bad()
        value = float(value)
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low
        )
        if too_low or (self.high is not None and value > self.high):
            raise self.bad()
        return value


TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


@dataclass(frozen=True)
class Boolean(Kind):
    accepts: ClassVar[str] = "true or false (also 1/0, yes/no, on/off)"
    short: ClassVar[str] = "true/false"

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        word = self.text(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.bad()


@dataclass(frozen=True)
class Choice(Kind):
    options: tuple[str, ...]

    @property
    def accepts(self) -> str:
        return "one of " + ", ".join(self.options)

    @property
    def short(self) -> str:
        return "/".join(self.options)

    def parse(self, value: Any) -> str:
        word = self.text(value)
        for option in self.options:
            if word == option or (option.islower() and word.lower() == option):
                return option
        raise self.bad()


@dataclass(frozen=True)
class CommaList(Kind):
    """`a,b` -> ["a", "b"], each one of `options`, at least one."""

    options: tuple[str, ...]

    @property
    def accepts(self) -> str:
        return "a comma-separated list of " + ", ".join(self.options)

    @property
    def short(self) -> str:
        return "list of " + "/".join(self.options)

    def parse(self, value: Any) -> list[str]:
        items = [item.strip() for item in self.text(value).split(",") if item.strip()]
        unknown = [item for item in items if item not in self.options]
        if not items or unknown:
            raise self.bad(f"not {', '.join(map(shown, unknown))}" if unknown else "empty")
        return list(dict.fromkeys(items))


@dataclass(frozen=True)
class Pair(Kind):
    """`LEFT=RIGHT` -> (left, right); `rights`, when given, are the allowed right sides."""

    metavar: str = "OLD=NEW"
    rights: tuple[str, ...] = ()

    @property
    def accepts(self) -> str:
        also = f" with {self.metavar.split('=')[1]} one of {', '.join(self.rights)}"
        return f"{self.metavar}" + (also if self.rights else "")

    @property
    def short(self) -> str:
        return self.metavar

    def parse(self, value: Any) -> str:
        text = self.text(value)
        left, sep, right = text.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise self.bad()
        if self.rights and right.strip() not in self.rights:
            raise self.bad()
        return text  # the demo API's Faults take the pair in this form


_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


@dataclass(frozen=True)
class Timestamp(Kind):
    """An instant: ISO-8601 with a date, a time and an offset (`Z` or `+hh:mm`)."""

    accepts: ClassVar[str] = "an ISO-8601 timestamp with an offset (e.g. 2026-02-10T00:00:00Z)"
    short: ClassVar[str] = "ISO-8601 time with offset"

    def instant(self, value: Any) -> datetime:
        if isinstance(value, datetime):  # a TOML offset date-time
            if value.tzinfo is None:
                raise self.bad("no offset")
            return value
        text = self.text(value)
        if not _TIMESTAMP.fullmatch(text):
            raise self.bad()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:  # e.g. month 13, hour 25, offset +24:00
            raise self.bad("no such date or time") from None

    def parse(self, value: Any) -> str:
        moment = self.instant(value)
        if isinstance(value, datetime):
            return moment.isoformat().replace("+00:00", "Z")
        return value.strip()


@dataclass(frozen=True)
class Url(Kind):
    accepts: ClassVar[str] = "an http(s) URL with a host (e.g. https://api.rootly.com/v1/)"
    short: ClassVar[str] = "http(s) URL"

    def parse(self, value: Any) -> str:
        text = self.text(value)
        if any(ch.isspace() or not ch.isprintable() for ch in text):
            raise self.bad("it contains spaces or control characters")
        try:
            parts = urlsplit(text)
            port = parts.port  # raises ValueError when not a number in 0-65535
            host = parts.hostname
        except ValueError:
            raise self.bad("bad host or port") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise self.bad()
        if not host or port == 0:
            raise self.bad("no host" if not host else "port 0")
        try:
            host.encode("idna")
        except UnicodeError:
            raise self.bad("not a valid host name") from None
        return text


_SIZE = re.compile(
    r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+) *(?P<unit>[KMGT]i?B)", re.ASCII | re.IGNORECASE
)
_SHARE = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+) *%", re.ASCII)
_UNIT_BYTES = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
MIN_MEMORY_BYTES = 10**6  # below this DuckDB cannot even open a database


@dataclass(frozen=True)
class MemoryLimit(Kind):
    """DuckDB's own syntax for its `memory_limit`, with the units DuckDB knows."""

    accepts: ClassVar[str] = (
        "a DuckDB memory size: a number and KB, MB, GB, TB, KiB, MiB, GiB or TiB"
        " (e.g. 384MB, 2 GiB; at least 1MB), or a share of RAM (e.g. 80%)"
    )
    short: ClassVar[str] = "size like 384MB or 80%"

    def parse(self, value: Any) -> str:
        text = self.text(value)
        if size := _SIZE.fullmatch(text):
            unit = size["unit"].lower()
            base = 1024 if "i" in unit else 1000
            power = "kmgt".index(unit[0]) + 1
            if float(size["number"]) * base**power < MIN_MEMORY_BYTES:
                raise self.bad("too small")
            return text
        if (share := _SHARE.fullmatch(text)) and 0 < float(share["number"]) <= 100:
            return text
        raise self.bad()


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


@dataclass(frozen=True)
class FilePath(Kind):
    """A file to write (it may not exist yet): not a folder, and under a folder. Relative
    paths are relative to `base` (the working directory when None)."""

    base: Path | None = None
    parent_must_exist: bool = False
    connection_strings: bool = False  # `duckdb:///...` is passed on as it is

    @property
    def accepts(self) -> str:
        return "a file path in an existing folder" if self.parent_must_exist else "a file path"

    @property
    def short(self) -> str:
        return "file path"

    def parse(self, value: Any) -> str:
        text = _path_text(self, value)
        if self.connection_strings and "://" in text:
            return text
        path = _absolute(text, self.base)
        if path.is_dir():
            raise self.bad("it is a folder")
        if self.parent_must_exist and not path.parent.is_dir():
            raise self.bad(f"no folder {path.parent}")
        if not _nearest_existing(path.parent).is_dir():
            raise self.bad("a file stands where a folder should be")
        return str(path)


@dataclass(frozen=True)
class FolderPath(Kind):
    """A folder to use or create: not a file, and no file where a parent folder should be."""

    base: Path | None = None
    parent_must_exist: bool = False

    @property
    def accepts(self) -> str:
        return "a folder path in an existing folder" if self.parent_must_exist else "a folder path"

    @property
    def short(self) -> str:
        return "folder path"

    def parse(self, value: Any) -> str:
        path = _absolute(_path_text(self, value), self.base)
        if path.exists() and not path.is_dir():
            raise self.bad("it is a file")
        if self.parent_must_exist and not path.parent.is_dir():
            raise self.bad(f"no folder {path.parent}")
        if not _nearest_existing(path).is_dir():
            raise self.bad("a file stands where a folder should be")
        return str(path)


def _path_text(kind: Kind, value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    text = kind.text(value)
    if not text or any(not ch.isprintable() for ch in text):
        raise kind.bad("empty" if not text else "it contains control characters")
    return text


def _absolute(text: str, base: Path | None) -> Path:
    path = Path(text)
    return path if path.is_absolute() or base is None else base / path


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)


@dataclass(frozen=True)
class Host(Kind):
    """A bind address: an IPv4/IPv6 address or a host name."""

    accepts: ClassVar[str] = "an IP address or host name (e.g. 127.0.0.1, localhost)"
    short: ClassVar[str] = "host"

    def parse(self, value: Any) -> str:
        import ipaddress

        text = self.text(value)
        try:
            ipaddress.ip_address(text)
            return text
        except ValueError:
            pass
        labels = text.rstrip(".").split(".")
        if len(text) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            raise self.bad()
        return text


_TOKEN = re.compile(r"[\x21-\x7e]+", re.ASCII)


@dataclass(frozen=True)
class Token(Kind):
    """A bearer token (never shown in a message)."""

    accepts: ClassVar[str] = "a token of visible ASCII characters, without spaces"
    short: ClassVar[str] = "token"

    def parse(self, value: Any) -> str:
        text = self.text(value)
        if not _TOKEN.fullmatch(text):
            raise self.bad()
        return text


@dataclass(frozen=True)
class ConnectionUrl(Kind):
    """A database URL (`postgresql://user:password@host:5432/db`), or dlt's credentials table
    (host, port, username, ...), which dlt checks when it connects."""

    schemes: tuple[str, ...] = ("postgresql", "postgres")

    @property
    def accepts(self) -> str:
        return (
            f"a {self.schemes[0]}://user:password@host:port/database URL"
            " (or dlt's credentials table)"
        )

    @property
    def short(self) -> str:
        return f"{self.schemes[0]}:// URL"

    def parse(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return value
        text = self.text(value)
        scheme = text.partition("://")[0].lower().partition("+")[0]
        if "://" not in text or scheme not in self.schemes:
            raise self.bad()
        if any(ch.isspace() or not ch.isprintable() for ch in text):
            raise self.bad()
        return text


# ----------------------------------------------------------------------------- bad input
class BadInput(Exception):
    """Settings or arguments a command cannot start with. The command prints `line()` to
    stderr and exits 2, before it reads, writes or sends anything."""

    EXIT_CODE = 2

    def line(self, failed: str) -> str:
        raise NotImplementedError


class BadArguments(BadInput):
    """A bad command-line argument: `prog: --flag: what is wrong`."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.message = message

    def line(self, failed: str = "") -> str:
        return printable(f"{self.prog}: {self.message}")


class BadSettingsFile(BadInput):
    """A settings file dlt cannot read (`.dlt/config.toml` that is not TOML)."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"cannot read the settings file {file}: {reason}")

    def line(self, failed: str) -> str:
        return printable(f"{failed}: {self}")


@dataclass(frozen=True)
class Problem:
    """One bad setting: which, the value (None for a secret: never shown), where it came
    from, and what its kind accepts."""

    key: str
    short_name: str
    value: Any
    secret: bool
    source: str
    kind: Kind
    error: BadValue
    missing: bool = False  # a setting another one needs is not set (`source` says which)

    def shown(self, limit: int = 40) -> str:
        return "(a secret, not shown)" if self.secret else shown(self.value, limit)

    def describe(self, *, single: bool, brief: bool = False) -> str:
        """`key = 'v' (from env K): expected ...` and shorter forms of it."""
        name = self.key if single else self.short_name
        if self.missing:
            head = f"{name} is not set ({self.source})"
        elif self.secret:
            head = f"{name} (a secret, not shown; {'from ' if single else ''}{self.source})"
        else:
            value = self.shown(16 if brief else 40)
            head = f"{name} = {value} ({'from ' if single else ''}{self.source})"
        if brief:
            return f"{head}: {self.kind.short}"
        detail = f" ({self.error.detail})" if self.error.detail else ""
        return f"{head}: expected {self.error.accepts}{detail}"


class BadSettings(BadInput):
    """Every bad setting of a run, named at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.summary())

    def summary(self, limit: int | None = None) -> str:
        """One line of at most `limit` characters if it can name every setting in that: what
        each accepts is shortened, then left out, before any setting would be."""
        if len(self.problems) == 1:
            forms = [
                self.problems[0].describe(single=True),
                self.problems[0].describe(single=True, brief=True),
            ]
        else:
            count = f"{len(self.problems)} bad settings: "
            forms = [
                count + "; ".join(p.describe(single=False) for p in self.problems),
                count + "; ".join(p.describe(single=False, brief=True) for p in self.problems),
                count + "; ".join(f"{p.short_name} ({p.source})" for p in self.problems),
                count
                + ", ".join(p.short_name for p in self.problems)
                + " (see the settings table in docs/configuration.md)",
            ]
        if len(self.problems) == 1:
            forms[0] = "bad setting " + forms[0]
            forms[1] = "bad setting " + forms[1]
        if limit is not None:
            for form in forms:
                if len(form) <= limit:
                    return form
        return forms[0] if limit is None else forms[-1]

    def line(self, failed: str) -> str:
        from ingestion.errors import MAX_LINE

        return f"{failed}: {self.summary(MAX_LINE)}"
