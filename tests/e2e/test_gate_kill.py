"""Drill 5: the 110 gate folder while `liandong-hub serve` is killed with -9 again and again.

A gate simulator (`MockGate`, drop by rename) keeps dropping files into inbound/ (new calls,
later updates and cancels of the same 110 numbers, and garbage) while the hub, a real
process with a `[boundary]` section, is killed -9 at random moments and started again on
the same database and folders. The gate also ferries outbound/ away as files appear, the
way a real gate empties it. At the end:

- every file dropped is in done/ or rejected/ (none lost, none left in inbound/), and every
  rejected file has its why.json;
- exactly one incident per 110 number, each update applied once (one `boundary` event per
  update file, the last summary in effect, order rev = 1 + updates), cancels closed;
- the status files the gate ferried are exactly the 110 stream of the event log (the rows
  of `GET /api/v1/boundary/outbox`), each once: no gap, no double, no temporary left.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.dispatch.read import BOUNDARY_QUERY
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mockgate import MockGate
from tests.e2e.conftest import Running
from tests.e2e.county import County, _edit_toml
from tests.e2e.procs import HubProcess, query
from tests.support.wait import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SOURCE = "cad-110"
NUMBERS = 40
KILLS = 6


def _call(number: str, summary: str) -> dict[str, Any]:
    return {
        "source_id": number,
        "category": "power-cut",
        "township": "tuodian",
        "address": "妥甸镇 东街 12 号",
        "caller_phone": "13812345678",
        "summary": summary,
        "reported_at": datetime.now(UTC).isoformat(),  # the hub runs on the real clock
    }


def _script(rng: random.Random) -> list[tuple[str, bytes | dict[str, Any]]]:
    """What the gate ferries in, in order: per number a new call, then 0-2 updates, and
    for every fifth a cancel; garbage now and then. Names keep the drop order."""
    items: list[tuple[str, bytes | dict[str, Any]]] = []
    later: list[tuple[str, dict[str, Any]]] = []
    for i in range(NUMBERS):
        number = f"J53232200{i:08d}"
        items.append((number, _call(number, f"停电 第 {i} 起")))
        for u in range(rng.randint(0, 2)):
            later.append((number, _call(number, f"停电 第 {i} 起 续报 {u + 1}")))
        if i % 5 == 4:
            later.append(
                (number, {**_call(number, "撤销"), "kind": "cancel", "reason": "报警人撤销"})
            )
        if i % 7 == 3:
            items.append(("garbage", b"\x00\xff not a call"))
        # the later files of earlier numbers come in between, in their own order
        while later and rng.random() < 0.5:
            items.append(later.pop(0))
    items.extend(later)
    return [(f"{n:05d}-{what}.json", data) for n, (what, data) in enumerate(items)]


class _Ferry(threading.Thread):
    """The gate's outbound side: reads and removes each finished status file."""

    def __init__(self, gate: MockGate) -> None:
        super().__init__(name="ferry", daemon=True)
        self.gate = gate
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.sweep()
            self.halt.wait(0.05)

    def sweep(self) -> None:
        for name in self.gate.outbound():
            path = self.gate.folders.outbound / name
            self.seen.append((name, json.loads(path.read_text("utf-8"))))
            path.unlink()


def test_gate_files_survive_kill9_exactly_once(
    make_county: Callable[[list[str]], County], running: Running, tmp_path: Path
) -> None:
    seed = random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    county = make_county(["power-co"])
    _edit_toml(county.hub_toml, {"boundary": {"dir": "gate", "rescan_s": 0.5, "settle_s": 0.2}})
    gate = MockGate(Folders.under(county.hub_toml.parent / "gate"))
    script = _script(rng)
    hub = HubProcess(county.hub_toml, county.hub_url)
    running.logs["liandong-hub"] = hub.read_log
    ferry = _Ferry(gate)
    ferry.start()
    running.add(ferry.halt.set)
    hub.start()
    running.add(hub.stop)

    # The gate drops at its own pace, whether the hub is up or not.
    dropped: list[str] = []

    def dropper() -> None:
        for name, data in script:
            gate.drop(name, data)
            dropped.append(name)
            time.sleep(rng.uniform(0.0, 0.12))

    feeder = threading.Thread(target=dropper, name="gate-in", daemon=True)
    feeder.start()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.2, 1.2))
        hub.kill9()
        time.sleep(rng.uniform(0.0, 0.4))
        hub.start()
    feeder.join(30)
    assert not feeder.is_alive()

    db = county.hub_db
    wait_for(lambda: not gate.inbound(), 20, f"inbound/ to empty (seed {seed})")

    def out_rows() -> list[Any]:
        return [r for r in query(db, BOUNDARY_QUERY, (0, 100000)) if r["source"] == SOURCE]

    def written() -> bool:
        cursor = query(db, "SELECT seq FROM boundary_cursor WHERE name='outbound'")
        rows = out_rows()
        return bool(cursor) and bool(rows) and cursor[0]["seq"] >= rows[-1]["seq"]

    wait_for(written, 20, "every status change written")
    hub.stop()  # a clean stop: nothing changes any more while we count
    ferry.halt.set()
    ferry.join(5)
    ferry.sweep()
    why = f"(seed {seed}; {KILLS} kills)"

    # Every file dropped is in done/ or rejected/, exactly once, nothing left behind.
    kept = [Path(p).name for p in gate.done()]
    rejected = gate.rejected()
    rejected_files = sorted(
        p.name for p in gate.folders.rejected.iterdir() if not p.name.endswith(".why.json")
    )
    assert sorted(rejected) == rejected_files, f"a rejected file without its why.json {why}"
    assert sorted(kept + rejected_files) == sorted(dropped), why
    assert all("garbage" in n for n in rejected_files) and rejected_files, why
    assert gate.inbound() == []

    # One incident per 110 number; every update applied once; cancels closed.
    numbers = {f"J53232200{i:08d}" for i in range(NUMBERS)}
    incidents = query(db, "SELECT id, source_id, summary, state FROM incidents")
    assert Counter(r["source_id"] for r in incidents) == Counter(numbers), why
    for inc in incidents:
        files = [
            data
            for name, data in script
            if isinstance(data, dict) and data["source_id"] == inc["source_id"]
        ]
        updates = [d for d in files[1:] if d.get("kind") != "cancel"]
        cancelled = any(d.get("kind") == "cancel" for d in files)
        events = query(
            db,
            "SELECT json_extract(detail, '$.kind') AS kind FROM events"
            " WHERE incident_id=? AND type='boundary'",
            (inc["id"],),
        )
        assert Counter(e["kind"] for e in events) == Counter(
            {"new": 1, "update": len(updates), **({"cancel": 1} if cancelled else {})}
        ), f"{inc['source_id']} {why}"
        last = updates[-1]["summary"] if updates else files[0]["summary"]
        assert inc["summary"] == last, why
        orders = query(db, "SELECT rev FROM orders WHERE incident_id=?", (inc["id"],))
        assert {r["rev"] for r in orders} == {1 + len(updates)}, why
        assert (inc["state"] == "closed") == cancelled, why

    # The status files: the 110 stream of the event log, each once, in order, no temp left.
    names = [name for name, _ in ferry.seen]
    assert len(names) == len(set(names)), f"a status file written twice {why}"
    expected = [f"{r['seq']:012d}" for r in out_rows()]
    assert sorted(n.split("-", 1)[0] for n in names) == expected, f"a gap {why}"
    assert all(item["cursor"] == int(n.split("-", 1)[0]) for n, item in ferry.seen)
    assert [p.name for p in gate.folders.outbound.iterdir()] == []
