"""One thin dispatcher for the commands the justfile calls.

`python -m cli COMMAND ARGS...`: `elt` gets data in (ingestion/), the others read it
(analyst/). Each command parses its own arguments; this module only picks the command and
imports it lazily, so `just query` does not pay for importing dlt. A command with a bad
setting or argument (`BadInput`) stops here, before it did anything: one line, exit code 2.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from ingestion.arguments import bad_input_exit
from ingestion.validation import BadInput, shown

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
    usage = f"usage: python -m cli {{{','.join(COMMANDS)}}} ... (COMMAND --help for its flags)"
    if argv[:1] in (["-h"], ["--help"]):
        print(usage)
        return 0
    if not argv:
        print(usage, file=sys.stderr)
        return BadInput.EXIT_CODE
    if argv[0] not in COMMANDS:
        print(f"cli: {shown(argv[0])} is not one of {', '.join(COMMANDS)}", file=sys.stderr)
        return BadInput.EXIT_CODE
    name, *args = argv
    try:
        return command(name)(args)
    except BadInput as exc:  # bad settings or arguments: one line, exit code 2
        return bad_input_exit(exc, failed_prefix(name))


def failed_prefix(name: str) -> str:
    """How a command's failure line starts: `ELT failed: ...`, `query failed: ...`."""
    return "ELT failed" if name == "elt" else f"{name} failed"


if __name__ == "__main__":
    sys.exit(main())
