"""Command-line arguments, checked like settings: every command's parser comes from here.

`ArgumentParser` is argparse with one-line errors (`elt: --backfill: '2026-02-10' is not an
ISO-8601 timestamp with an offset ...`), raised as `BadArguments` so the command exits 2
before it reads or writes anything; `--help` still prints the full help. `typed(kind)` turns
a kind of `ingestion.validation` into an argparse `type=`, so a flag and a setting of the same
kind accept exactly the same values and say so in the same words.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from ingestion.validation import (
    BadArguments,
    BadInput,
    BadValue,
    Choice,
    CommaList,
    FilePath,
    FolderPath,
    Integer,
    Kind,
    Timestamp,
    shown,
)

PORT = Integer(1, 65535)
ANY_PORT = Integer(0, 65535)  # 0: the OS picks a free one
POSITIVE = Integer(1)
NON_NEGATIVE = Integer(0)
ISO_INSTANT = Timestamp()
NEW_FILE = FilePath(parent_must_exist=True)  # a file to write, in a folder that exists
NEW_FOLDER = FolderPath(parent_must_exist=True)  # a folder to use or create, in one that exists


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line, `prog: --flag: what is wrong`, raised as
    `BadArguments` (exit code 2, no usage block). Subcommands get the same class."""

    def error(self, message: str) -> NoReturn:
        raise BadArguments(self.prog, message.removeprefix("argument "))


def typed(kind: Kind, name: str | None = None) -> Callable[[str], Any]:
    """An argparse `type=` that parses with `kind`: `'x' is not <what kind accepts>`."""

    def convert(text: str) -> Any:
        try:
            return kind.parse(text)
        except BadValue as exc:
            detail = f" ({exc.detail})" if exc.detail else ""
            raise argparse.ArgumentTypeError(
                f"{shown(text)} is not {exc.accepts}{detail}"
            ) from None

    convert.__name__ = name or type(kind).__name__.lower()
    return convert


def choice(*options: str) -> Callable[[str], str]:
    return typed(Choice(tuple(options)), "choice")


def comma_list(*options: str) -> Callable[[str], list[str]]:
    return typed(CommaList(tuple(options)), "list")


def choices_metavar(options: tuple[str, ...] | list[str]) -> str:
    """How `--help` shows a choice: `{table,csv,json}` (argparse's own style)."""
    return "{" + ",".join(options) + "}"


def one_of(options: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """`add_argument` keywords for a flag that takes one of ``options``: the one-line error
    on anything else, and argparse's own `{a,b,c}` in `--help`."""
    return {"type": choice(*options), "metavar": choices_metavar(options)}


def bad_input_exit(exc: BadInput, failed: str) -> int:
    """Print the one line for bad settings or arguments; the exit code is 2."""
    print(exc.line(failed), file=sys.stderr)
    return BadInput.EXIT_CODE
