"""The folder bridge over a real SQLite file: exactly once by (source, 110 number),
updates and cancels on the same incident, bad files beside their why.json, and status
files out in order, once, across restarts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.sources.boundary.bridge import Bridge
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mockgate import MockGate
from tests.hub.conftest import count
from tests.support.hubparts import TestService

SOURCE = "cad-110"


def call(number: str = "J5323220000000123", **over: Any) -> dict[str, Any]:
    data = {
        "source_id": number,
        "category": "power-cut",
        "township": "tuodian",
        "address": "妥甸镇 东街 12 号",
        "caller_phone": "13812345678",
        "summary": "整条街停电",
        "reported_at": "2026-01-05T08:55:00+08:00",  # the FakeClock is 09:00 Beijing
    }
    data.update(over)
    return data


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders.under(tmp_path / "gate")


@pytest.fixture
def bridge(service: TestService, folders: Folders) -> Iterator[Bridge]:
    b = Bridge(service.parts.gate, BoundaryConfig(folders=folders, source=SOURCE, settle_s=0))
    b.prepare()
    yield b
    b.stop()


@pytest.fixture
def gate(folders: Folders) -> MockGate:
    return MockGate(folders)


def incidents(service: TestService) -> int:
    return count(service, "SELECT count(*) FROM incidents")


def test_new_file_makes_one_incident_and_moves_to_done(
    bridge: Bridge, gate: MockGate, service: TestService
) -> None:
    gate.drop("a.json", call())
    assert bridge.take_all(set()) == {"a.json": "done"}
    assert gate.inbound() == [] and gate.done() == ["a.json"]
    assert (gate.folders.done / "2026-11-28").is_dir() or gate.done()
    assert incidents(service) == 1 and count(service, "SELECT count(*) FROM orders") >= 1
    gate.drop("a.json", call())  # the very same file again
    bridge.take_all(set())
    assert incidents(service) == 1 and len(gate.done()) == 2
    assert bridge.recent_files()[0]["reason"] == "repeat"


def test_later_file_updates_and_cancel_closes(
    bridge: Bridge, gate: MockGate, service: TestService
) -> None:
    gate.drop("1.json", call())
    gate.drop("2.json", call(summary="停电范围扩大到西街", priority="critical"))
    bridge.take_all(set())
    assert incidents(service) == 1
    inc = service.open_incidents()[0]
    assert inc.summary == "停电范围扩大到西街" and inc.priority == "critical"
    assert all(o.rev == 2 for o in inc.orders)
    timeline = [e.type for e in service.incident(inc.id).timeline]
    assert timeline.count("boundary") == 2
    gate.drop("3.json", {**call(), "kind": "cancel", "reason": "报警人撤销"})
    bridge.take_all(set())
    after = service.incident(inc.id)
    assert after.state == "closed" and all(o.state == "cancelled" for o in after.orders)
    assert incidents(service) == 1


def test_committed_but_not_moved_is_only_moved(
    bridge: Bridge, gate: MockGate, service: TestService
) -> None:
    """A crash after the commit and before the move: the restart only moves the file."""
    gate.drop("a.json", call(summary="x"))
    data = (gate.folders.inbound / "a.json").read_bytes()
    from hub.sources.boundary.parse import parse_bytes

    msg = parse_bytes(data, service.registry, bridge.mapping)
    service.parts.gate.gate_message(msg.kind, msg.intake, source=SOURCE, msg_id=msg.msg_id)
    events = count(service, "SELECT count(*) FROM events")
    bridge.take_all(set())
    assert gate.done() == ["a.json"] and incidents(service) == 1
    assert count(service, "SELECT count(*) FROM events") == events


def test_bad_file_rejected_with_why_and_does_not_block(
    bridge: Bridge, gate: MockGate, service: TestService
) -> None:
    gate.drop("0-bad.xml", b"\x00garbage")
    gate.drop("1-cat.json", call(category="ufo"))
    gate.drop("2-good.json", call("J2"))
    out = bridge.take_all(set())
    assert out == {"0-bad.xml": "rejected", "1-cat.json": "rejected", "2-good.json": "done"}
    why = gate.rejected()
    assert why["0-bad.xml"]["reason"] == "garbage" and why["0-bad.xml"]["zh"]
    assert why["1-cat.json"]["field"] == "category" and "ufo" in why["1-cat.json"]["en"]
    assert sorted(p.name for p in gate.folders.rejected.iterdir() if "why" not in p.name) == [
        "0-bad.xml",
        "1-cat.json",
    ]
    assert incidents(service) == 1


def test_reprocess_a_rejected_file(bridge: Bridge, gate: MockGate) -> None:
    gate.drop("x.json", call(category="ufo"))
    bridge.take_all(set())
    assert bridge.reprocess("x.json") == "x.json"
    assert gate.inbound() == ["x.json"] and gate.rejected() == {}
    with pytest.raises(Exception, match="no rejected"):
        bridge.reprocess("../../etc/passwd")


def test_temporary_names_and_links_are_left_or_refused(
    bridge: Bridge, gate: MockGate, tmp_path: Path
) -> None:
    for name in (".a.json", "b.json.tmp", "c.json~"):
        gate.drop_partial(name, b"{")
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    (gate.folders.inbound / "link.json").symlink_to(secret)
    assert bridge.take_all(set()) == {"link.json": "rejected"}
    assert secret.read_text() == "TOP-SECRET" and "TOP-SECRET" not in json.dumps(gate.rejected())


def test_outbound_in_order_once_across_restart(
    bridge: Bridge, gate: MockGate, service: TestService, folders: Folders
) -> None:
    gate.drop("a.json", call())
    bridge.take_all(set())
    service.send_drill(["power-co"], by="op")  # drills never go out
    service.intake(call("OTHER"), source="console")  # nor what was entered elsewhere
    written = bridge.outbound.pump()
    names = gate.outbound()
    assert written == len(names) >= 2 and names == sorted(names)
    assert all(n.endswith("-J5323220000000123.json") for n in names)
    items = gate.take_outbound()
    assert [i["type"] for i in items][:2] == ["incident", "dispatched"]
    again = Bridge(service.parts.gate, BoundaryConfig(folders=folders, source=SOURCE))
    again.prepare()
    assert again.outbound.pump() == 0 and gate.outbound() == []
    # a crash after the fsync'd temp file and the cursor commit, before the rename
    inc = service.open_incidents()[0]
    service.close_incident(inc.id, by="op")
    rows = again.outbound._rows(0, 10000)
    last = rows[-1]
    name = f"{last['seq']:012d}-J5323220000000123.json"
    (folders.outbound / f".{name}.tmp").write_text("{}")
    from hub.sources.boundary import journal

    journal.set_cursor(service.store, last["seq"], service.clock.now())
    again.prepare()  # recover: the committed temp file is published
    assert name in gate.outbound()


def test_outbound_unwritable_keeps_and_retries(
    bridge: Bridge, gate: MockGate, service: TestService, folders: Folders
) -> None:
    gate.drop("a.json", call())
    bridge.take_all(set())
    shutil.rmtree(folders.outbound)
    folders.outbound.write_text("not a folder")  # as root, chmod would not stop us
    assert bridge.outbound.pump() == 0
    status = bridge.outbound_status()
    assert not status["ok"] and status["backlog"] >= 2 and status["error"]
    folders.outbound.unlink()
    folders.outbound.mkdir()
    assert bridge.outbound.pump() >= 2 and bridge.outbound_status()["ok"]
    assert bridge.outbound_status()["backlog"] == 0


def test_watcher_takes_a_renamed_file(bridge: Bridge, gate: MockGate, service: TestService) -> None:
    bridge.start()
    gate.drop("w.json", call("W1"))
    gate.wait_until(lambda: gate.done() == ["w.json"])
    gate.wait_until(lambda: len(gate.outbound()) >= 2)
    assert incidents(service) == 1
