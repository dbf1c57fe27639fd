"""`[process] one_cpu` (hub/one_cpu.py): every hub thread on one CPU, as measured in issue 17.

The pinning runs in a child process: it would pin the test runner itself. That
`liandong-hub serve` pins its threads is checked on the real process in
tests/hub/test_intake_route.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError

CHILD = """
import json, os, threading
from hub.one_cpu import pin_to_one_cpu
started = threading.Event(); stop = threading.Event()
def work():
    started.set(); stop.wait()
before = threading.Thread(target=work); before.start(); started.wait()
cpu = pin_to_one_cpu()
after = threading.Thread(target=stop.wait); after.start()
tasks = {int(t): sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")}
stop.set(); before.join(); after.join()
print(json.dumps({"cpu": cpu, "tasks": list(tasks.values())}))
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a machine with 2 CPUs")
def test_every_thread_is_moved_and_later_threads_follow() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    got = json.loads(out)
    assert got["cpu"] == max(os.sched_getaffinity(0))
    assert len(got["tasks"]) == 3  # the main thread, one started before, one after
    assert all(cpus == [got["cpu"]] for cpus in got["tasks"])


def test_nothing_to_do_on_one_cpu() -> None:
    code = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
        "from hub.one_cpu import pin_to_one_cpu; print(pin_to_one_cpu())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert out.strip() == "None"


def test_the_setting(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[county]\nid = "shuangbai"\n')
    assert load_config(toml).one_cpu is True
    toml.write_text('[county]\nid = "shuangbai"\n[process]\none_cpu = false\n')
    assert load_config(toml).one_cpu is False
    toml.write_text('[county]\nid = "shuangbai"\n[process]\none_cpu = "no"\n')
    with pytest.raises(ConfigError, match=r"\[process\] one_cpu must be true or false"):
        load_config(toml)
