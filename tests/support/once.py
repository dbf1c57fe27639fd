"""An expensive, read-only test input built once per test run, also under pytest-xdist.

`make test` runs the suite on several pytest-xdist workers (docs/testing.md), and each
worker has its own session fixtures. A fixture that takes many seconds to build (a
simulated quarter of calls) would be built by every worker, on CPUs the other workers
need. `built_once` puts it in the run's shared temporary folder instead: the first worker
that asks builds it under an exclusive lock, the others wait on the lock and reuse it.
Without xdist it is built in the session's own temporary folder, as before.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def run_folder(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this whole run: shared by its xdist workers, fresh per run."""
    base = factory.getbasetemp()
    # under xdist each worker's basetemp is <the run's basetemp>/popen-gwN
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """The folder `build` filled and the JSON-able dict it returned, built once per run.

    Callers must only read the folder (copy what they change) and hold no lock of their
    own while calling this."""
    shared = run_folder(factory)
    folder = shared / f"once-{name}"
    done = shared / f"once-{name}.json"
    with (shared / f"once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on a crash
        if not done.exists():
            if folder.exists():  # left half-built by a worker that failed
                shutil.rmtree(folder)
            folder.mkdir()
            made = build(folder)
            tmp = done.with_suffix(".tmp")
            tmp.write_text(json.dumps(made))
            tmp.rename(done)
        return folder, json.loads(done.read_text())
