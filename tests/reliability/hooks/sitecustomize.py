"""Test-only hook, on PYTHONPATH of one ELT subprocess: pause right before dlt's load.

With `ELT_TEST_PAUSE_BEFORE_LOAD=<file>` set, the first `Pipeline.load` that finds a
normalized package waiting writes its pid to `<file>` and sleeps, so a test can SIGKILL the
process at exactly that point instead of polling for it (which sometimes missed the
window). Nothing in the project imports this file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_MARKER = os.environ.get("ELT_TEST_PAUSE_BEFORE_LOAD")

if _MARKER:
    from dlt.pipeline.pipeline import Pipeline

    _load = Pipeline.load

    def _paused_load(self, *args, **kwargs):
        if self.list_normalized_load_packages() and not Path(_MARKER).exists():
            Path(_MARKER).write_text(str(os.getpid()))
            time.sleep(600)  # killed by the test long before this ends
        return _load(self, *args, **kwargs)

    Pipeline.load = _paused_load  # type: ignore[method-assign]
