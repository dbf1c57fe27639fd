"""`make demo` as a newcomer runs it: a real process, headless, small and fast.

The demo is the whole system on one machine (provisioning, Mosquitto with TLS, the hub,
29 terminals with simulated hardware, a scenario with a network outage), so these tests
also catch any part that stops fitting the others.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}:/usr/sbin"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _demo(*args: str) -> list[str]:
    return [sys.executable, "-m", "demo", *args]


def _row(summary: str, label: str) -> int:
    m = re.search(rf"^{re.escape(label)}\s+(\d+)", summary, re.M)
    assert m, f"no {label!r} row in:\n{summary}"
    return int(m.group(1))


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd and str(os.getpid()) != proc.name:
            found.append(f"{proc.name}: {cmd}")
    return found


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_headless_run_loses_nothing_and_exits_zero(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        _demo(
            "--calls", "3", "--speed", "300", "--seed", "7", "--until-done", "--state", str(state)
        ),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"stdout:\n{out}\nstderr:\n{done.stderr}"
    assert "Traceback" not in done.stderr
    assert "demo / " in out  # the console login is printed
    assert _row(out, "来电 calls") == 3 + 2  # and 双轨制: one self-taken, one by phone
    assert _row(out, "自接警情 self-recorded calls") == 1
    assert _row(out, "电话联络录入 phone records") == 4
    orders = _row(out, "派单 orders")
    assert orders >= 3
    for label in ("已收到 received", "已签收 acknowledged", "已到场 arrived", "已反馈 fed back"):
        assert _row(out, label) == orders, label
    assert _row(out, "丢失 lost") == 0
    assert _row(out, "重复 counted twice") == 0
    # 点名: two rounds to the 29 tier-1 duty rooms, one room misses the second on purpose
    assert _row(out, "点名 roll-calls sent") == 58
    assert _row(out, "点名未应答 roll-calls missed") == 1
    answered = re.search(r"^点名已应答 roll-calls answered\s+(\d+)\s+\(late (\d+)\)", out, re.M)
    assert answered, out
    # every other room answered: in time, or late at 300x on a loaded machine (0.6 s real)
    assert int(answered.group(1)) + int(answered.group(2)) == 57
    assert "断网 network cut" in out and "恢复联网 network restored" in out
    assert "补发完毕 caught up" in out
    assert "everything stopped" in out
    # Each terminal's paper: decoded Chinese, the caller's number masked.
    papers = list((state / "printouts").glob("*.txt"))
    assert papers
    text = "\n".join(p.read_text(encoding="utf-8") for p in papers)
    assert "号" in text
    assert re.search(r"1\d\d\*\*\*\*\d{4}", text)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)  # no full phone number
    assert not _processes_mentioning(str(state)), "something the demo started is still running"
    assert "threads still running" not in (state / "demo.log").read_text(encoding="utf-8")


def _read_until(proc: subprocess.Popen[str], marker: str, within_s: float) -> str:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if marker in line or not line:
            break
    text = "".join(lines)
    assert marker in text, text
    return text


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_keep_runs_on_after_the_summary_and_ctrl_c_ends_with_the_runs_status(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    proc = subprocess.Popen(
        _demo("--calls", "1", "--speed", "300", "--until-done", "--keep", "--state", str(state)),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    summary = _read_until(proc, "still running at real speed", 100)
    assert _row(summary, "丢失 lost") == 0
    assert _processes_mentioning(str(state / "broker")), "the broker should still be running"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err, err
    assert not _processes_mentioning(str(state))


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_ctrl_c_stops_everything_without_a_traceback(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = subprocess.Popen(
        _demo("--calls", "50", "--speed", "60", "--state", str(state)),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _read_until(proc, "来电 call 1:", 60)
    assert _processes_mentioning(str(state / "broker")), "the broker should be running"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err, err
    assert "everything stopped" in out
    assert "interrupted" in out
    assert not _processes_mentioning(str(state)), "something the demo started is still running"


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_rollout_brings_every_terminal_to_the_next_version(tmp_path: Path) -> None:
    """`--rollout`: after the calls, version+1 is signed, kept by the hub and rolled out
    (canary, 50 %, all) to the 29 terminals, each switching its own slot folder."""
    state = tmp_path / "state"
    done = subprocess.run(
        _demo(
            "--calls",
            "1",
            "--speed",
            "300",
            "--until-done",
            "--no-outage",
            "--rollout",
            "--state",
            str(state),
        ),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=190,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"stdout:\n{out}\nstderr:\n{done.stderr}"
    assert "先行单位 canary: 2/29" in out and "全部 all: 29/29" in out
    version = re.search(r"新版本 (\S+) 已签名", out)
    assert version, out
    slots = sorted((state / "slots").iterdir())
    assert len(slots) == 29
    for root in slots:  # every terminal runs the new version from its other slot
        assert os.readlink(root / "current") == "b"
        assert (root / "current" / "VERSION").read_text().strip() == version.group(1)
        assert not (root / "trial.json").exists()
    assert not _processes_mentioning(str(state)), "something the demo started is still running"
