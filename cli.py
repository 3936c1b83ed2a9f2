"""One thin dispatcher for the commands the justfile calls.

`python -m cli COMMAND ARGS...`: `elt` gets data in (ingestion/), the others read it
(analyst/). Each command parses its own arguments; this module only picks the command and
imports it lazily, so `just query` does not pay for importing dlt.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

COMMANDS: dict[str, str] = {
    "elt": "ingestion.commands:elt",
    "docs": "analyst.commands:docs",
    "query": "analyst.commands:query",
    "shell": "analyst.commands:shell",
    "report": "analyst.commands:report",
    "status": "analyst.commands:status",
}


def command(name: str) -> Callable[[list[str]], int]:
    """The function behind a command name."""
    module, _, function = COMMANDS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m cli {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return command(argv[0])(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
