"""Orders on the terminal without a broker: store first, then alarm and print; duplicates,
revisions, cancels, receipts, commands and rejected messages (signed by a test hub key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from gateway.devices.simulators import GpsSimulator, PrinterSimulator
from gateway.terminal import Gateway
from provisioning import pki
from tests.gateway.conftest import SHARED_DATA, UNIT, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire import Signer, encode
from wire.clock import Clock, FakeClock, shanghai
from wire.kinds import Body, CancelBody, CommandBody, ReceiptBody
from wire.limits import MAX_MESSAGE_BYTES

OID = "01JORDER0000000000000001"


def _down(signer: Signer, kind: str, body: Body, clock: Clock, unit: str = UNIT) -> bytes:
    return encode(kind, unit, body, signer, at=clock.now())[1]


CHAIN = ("alarmed", "printed", "print_failed")
"""The receipt chain's reports (tests/gateway/test_receipt_chain.py); left out here."""


def _outbox(gw: Gateway, chain: bool = False) -> list[dict[str, Any]]:
    with gw.store.read() as c:
        rows = c.execute("SELECT payload FROM outbox ORDER BY seq").fetchall()
    reports = [msgspec.json.decode(bytes(r[0])) for r in rows]
    return [r for r in reports if chain or r["kind"] not in CHAIN]


@pytest.fixture
def gw(
    files: TerminalFiles, printer_sim: PrinterSimulator, make_gateway: Callable[..., Gateway]
) -> Gateway:
    files.printer_url = printer_sim.url
    return make_gateway(files.config())


def test_order_is_stored_with_its_received_report_then_alarms_and_prints(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))
    reports = _outbox(gw)
    assert [(r["kind"], r["body"]) for r in reports] == [
        ("received", {"order_id": "01JORDER0000000000000001", "rev": 1})
    ]
    assert reports[0]["unit"] == UNIT and reports[0]["sig"]
    assert gw.alarm.active and gw.alarm.pattern == "urgent"
    assert gw.pins.buzzer.value == 1 and gw.pins.light.value == 1
    wait_for(lambda: "社会应急联动指令单" in printer_sim.text(), what="the slip")
    text = printer_sim.text()
    assert "整条街停电，有老人使用制氧机。" in text  # Chinese punctuation survives
    assert "138****5678" in text and "J5323220000000123" in text
    assert "妥甸镇 东街 12 号" in text
    wait_for(lambda: gw.health().unprinted == 0, what="the job to leave the spool")


def test_redelivery_and_same_rev_are_duplicates(gw: Gateway, hub_signer: Signer) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    raw = _down(hub_signer, "order", order_body(), clock)
    gw.handle_down(raw)
    gw.handle_down(raw)  # the broker delivered it again
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))  # the hub re-sent it
    assert [r["kind"] for r in _outbox(gw)] == ["received"]
    assert gw.metrics.duplicates.value() == 2
    assert "liandong_gateway_duplicate_messages_total 2.0" in gw.metrics.exposition().decode()


def test_revision_updates_and_reprints_older_rev_is_ignored(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body(rev=1), clock))
    wait_for(lambda: "社会应急联动指令单" in printer_sim.text(), what="the first slip")
    gw.handle_down(_down(hub_signer, "order", order_body(rev=2), clock))
    gw.handle_down(_down(hub_signer, "order", order_body(rev=1), clock))
    assert [r["body"]["rev"] for r in _outbox(gw)] == [1, 2]
    assert gw.orders.get("01JORDER0000000000000001").order.rev == 2
    wait_for(lambda: "第2版" in printer_sim.text(), what="the revised slip")
    assert printer_sim.text().count("社会应急联动指令单") == 2


def test_cancel_stops_the_alarm_and_prints_a_cancel_slip(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))
    assert gw.alarm.active
    cancel = CancelBody(order_id="01JORDER0000000000000001", reason="重复警情")
    gw.handle_down(_down(hub_signer, "cancel", cancel, clock))
    assert not gw.alarm.active and gw.pins.buzzer.value == 0
    assert gw.orders.get("01JORDER0000000000000001").stage == "cancelled"
    wait_for(lambda: "撤销指令" in printer_sim.text(), what="the cancel slip")
    assert "重复警情" in printer_sim.text()
    # an order re-sent after its cancel stays cancelled
    gw.handle_down(_down(hub_signer, "order", order_body(rev=2), clock))
    assert not gw.alarm.active


def test_an_old_open_order_still_alarms_after_two_hundred_newer_ones(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer
) -> None:
    gw = make_gateway(files.config(), start=False)
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    old = order_body("01JORDER0000000000000000", now=clock.now())
    gw.handle_down(_down(hub_signer, "order", old, clock))
    newer = [f"01JORDER0000000000000{i:03d}" for i in range(1, 201)]
    for i, order_id in enumerate(newer):
        at = clock.now() + timedelta(seconds=i + 1)
        gw.handle_down(_down(hub_signer, "order", order_body(order_id, now=at), clock))
    assert gw.acknowledge(newer, "kiosk") == newer
    assert [o.order_id for o in gw.orders.alarming()] == [old.order_id]
    assert len(gw.orders.open()) == 201 and gw.orders.open()[-1].order_id == old.order_id
    assert len(gw.orders.all()) == 200  # the kiosk's list stays bounded


def test_receipt_empties_the_outbox(gw: Gateway, hub_signer: Signer) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))
    wait_for(lambda: len(_outbox(gw, chain=True)) == 3, what="received, alarmed, printed")
    ids = [r["id"] for r in _outbox(gw, chain=True)]
    gw.handle_down(_down(hub_signer, "receipt", ReceiptBody(ids=ids), clock))
    assert _outbox(gw, chain=True) == []
    assert gw.health().outbox_depth == 0


def test_commands_silence_realarm_test_print(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))
    gw.handle_down(_down(hub_signer, "command", CommandBody(command="silence"), clock))
    assert not gw.alarm.active
    oid = "01JORDER0000000000000001"
    gw.handle_down(_down(hub_signer, "command", CommandBody("realarm", order_id=oid), clock))
    assert gw.alarm.active
    gw.handle_down(_down(hub_signer, "command", CommandBody("test_print", text="你好"), clock))
    wait_for(lambda: "打印测试" in printer_sim.text(), what="the test page")
    gw.handle_down(_down(hub_signer, "command", CommandBody("silence", order_id=oid), clock))
    assert not gw.alarm.active
    assert gw.orders.get(oid).acked_at is None  # silenced is not acknowledged


def test_realarm_sounds_only_for_an_order_still_waiting_for_a_person(
    gw: Gateway, hub_signer: Signer
) -> None:
    """The hub escalates by its own, possibly stale, view: an order the duty room has
    acknowledged (and is on time for) must not sound again; one past its on-scene deadline
    with no arrival must."""
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    oid = "01JORDER0000000000000001"
    body = order_body()
    clock.set(body.dispatched_at)
    gw.handle_down(_down(hub_signer, "order", body, clock))
    gw.acknowledge([oid], "kiosk")
    assert not gw.alarm.active
    realarm = CommandBody("realarm", order_id=oid)
    gw.handle_down(_down(hub_signer, "command", realarm, clock))
    assert not gw.orders.get(oid).alarming
    assert not gw.alarm.active
    assert body.deadlines.arrive_by is not None
    clock.set(body.deadlines.arrive_by)
    gw.handle_down(_down(hub_signer, "command", realarm, clock))
    assert gw.orders.get(oid).alarming
    gw.arrive(oid, "kiosk")
    gw.feedback(oid, "resolved", "已处置")
    gw.handle_down(_down(hub_signer, "command", realarm, clock))
    assert not gw.orders.get(oid).alarming


def test_bad_messages_are_counted_and_never_stop_the_terminal(
    gw: Gateway, hub_signer: Signer
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    forger = Signer(pki.new_key())
    good = _down(hub_signer, "order", order_body(), clock)
    unsigned = msgspec.json.decode(good)
    unsigned["sig"] = ""
    bad = [
        b"\xff\xfe garbage",
        b"{not json",
        b"x" * (MAX_MESSAGE_BYTES + 1),
        msgspec.json.encode(unsigned),
        _down(forger, "order", order_body(), clock),
        _down(hub_signer, "order", order_body(), clock, unit="water-co"),
        good.replace(b"urgent", b"normal"),
    ]
    for raw in bad:
        gw.handle_down(raw)
    counts = {reason: n for (reason,), n in gw.metrics.rejected.values().items()}
    assert counts == {
        "not_utf8": 1,
        "not_json": 1,
        "too_big": 1,
        "unsigned": 1,
        "bad_signature": 2,
        "wrong_unit": 1,
    }
    assert _outbox(gw) == [] and not gw.alarm.active
    gw.handle_down(good)
    assert gw.alarm.active
    metrics = gw.metrics.exposition().decode()
    assert 'liandong_gateway_rejected_messages_total{reason="bad_signature"} 2.0' in metrics
    wait_for(lambda: gw.outbox.depth() == 3, what="received, alarmed and printed")
    metrics = gw.metrics.exposition().decode()
    assert "liandong_gateway_outbox_depth 3.0" in metrics


def test_acknowledge_stops_alarm_each_order_gets_its_own_ack(
    gw: Gateway, hub_signer: Signer
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    gw.handle_down(_down(hub_signer, "order", order_body("01JORDER0000000000000001"), clock))
    gw.handle_down(
        _down(hub_signer, "order", order_body("01JORDER0000000000000002", drill=True), clock)
    )
    assert gw.alarm.pattern == "urgent"  # a real order outranks a drill
    clock.advance(20)
    gw.press("ack")
    acks = [r for r in _outbox(gw) if r["kind"] == "ack"]
    assert sorted(r["body"]["order_id"] for r in acks) == [
        "01JORDER0000000000000001",
        "01JORDER0000000000000002",
    ]
    assert all(r["body"]["via"] == "button" for r in acks)
    assert acks[0]["at"] != _outbox(gw)[0]["at"]  # keeps the moment it happened
    assert not gw.alarm.active and gw.pins.buzzer.value == 0 and gw.pins.light.value == 0
    gw.press("ack")  # nothing left to acknowledge: no new report
    assert len([r for r in _outbox(gw) if r["kind"] == "ack"]) == 2


def test_button_bounce_is_one_press(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer
) -> None:
    now = [100.0]
    gw = make_gateway(files.config(), monotonic=lambda: now[0])
    clock = gw.clock
    gw.handle_down(_down(hub_signer, "order", order_body("01JORDER0000000000000001"), clock))
    pin = gw.pins.ack_button.pin
    pin.drive_low()
    pin.drive_high()
    gw.handle_down(_down(hub_signer, "order", order_body("01JORDER0000000000000002"), clock))
    now[0] += 0.05  # contact bounce 50 ms later
    pin.drive_low()
    pin.drive_high()
    assert gw.ack_debouncer.ignored == 1
    assert gw.orders.get("01JORDER0000000000000002").acked_at is None
    now[0] += 1.0  # a real second press
    pin.drive_low()
    pin.drive_high()
    assert gw.orders.get("01JORDER0000000000000002").acked_at is not None


def test_arrival_button_and_gps_arrival(gw: Gateway, hub_signer: Signer) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    near = order_body("01JORDER0000000000000001", position=(24.689, 101.641))
    far = order_body("01JORDER0000000000000002", position=(24.75, 101.70))
    gw.handle_down(_down(hub_signer, "order", near, clock))
    gw.handle_down(_down(hub_signer, "order", far, clock))
    # a fix about 1.1 km from `near`: no automatic arrival; the button picks the nearest
    fix = gw.feed_gps("$GPGGA,120000.00,2441.9400,N,10138.4600,E,1,08,1.0,1800.0,M,0.0,M,,*68")
    assert fix is not None
    assert gw.orders.get(near.order_id).arrived_at is None
    assert gw.arrive(None, "button") == near.order_id
    arrived = [r for r in _outbox(gw) if r["kind"] == "arrived"]
    assert arrived[0]["body"]["source"] == "button"
    assert arrived[0]["body"]["position"]["lat"] == pytest.approx(24.699, abs=1e-6)
    # arriving also acknowledged it (one ack report for it)
    assert [r["body"]["order_id"] for r in _outbox(gw) if r["kind"] == "ack"] == [near.order_id]
    # now drive within 150 m of `far`: arrival reported on its own
    clock.advance(60)
    gw.feed_gps("garbage line")
    gw.feed_gps("$GPRMC,120100.00,A,2445.0300,N,10142.0000,E,0.1,0.0,281126,,,A*")
    gw.feed_gps("$GPRMC,120100.00,A,2445.0300,N,10142.0000,E,0.1,0.0,281126,,,A*51")
    view = gw.orders.get(far.order_id)
    assert view.arrived_at is not None
    last = [r for r in _outbox(gw) if r["kind"] == "arrived"][-1]
    assert last["body"]["source"] == "gps"
    assert gw.gps_parser.bad_lines >= 2
    positions = [r for r in _outbox(gw) if r["kind"] == "position"]
    assert len(positions) == 2  # the first fix, and one 60 s later; none in between
    assert positions[0]["body"]["position"] == {"lat": 24.699, "lon": 101.641, "accuracy_m": None}
    health = gw.health()
    assert health.gps is not None and health.gps.fix and health.gps.age_s == 0
    clock.advance(timedelta(minutes=5).total_seconds())
    assert gw.health().gps.fix is False  # type: ignore[union-attr]


def test_order_while_the_printer_is_out_of_paper_then_unplugged(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    printer_sim.paper = False
    gw.handle_down(_down(hub_signer, "order", order_body(), gw.clock))
    assert gw.alarm.active  # the alarm never waits for the printer
    wait_for(lambda: gw.health().printer == "paper_out", what="paper-out in health")
    assert gw.health().unprinted == 1 and printer_sim.text() == ""
    gw.press("ack")  # the button works while the printer is stuck
    assert not gw.alarm.active
    printer_sim.paper = True
    wait_for(lambda: gw.health().unprinted == 0, what="the reprint once paper is back")
    assert printer_sim.text().count("社会应急联动指令单") == 1
    assert "补打" not in printer_sim.text()  # refused before any byte went: the original
    port = printer_sim.port
    printer_sim.stop()  # the printer vanishes
    gw.handle_down(_down(hub_signer, "order", order_body("01JORDER0000000000000002"), gw.clock))
    assert gw.alarm.active
    wait_for(lambda: gw.health().printer == "offline", what="offline in health")
    back = PrinterSimulator(port=port).start()
    try:
        wait_for(lambda: "01JORDER0000000000000002" in back.text(), what="the print after replug")
    finally:
        back.stop()


def test_only_the_latest_unsent_health_is_kept(gw: Gateway) -> None:
    for _ in range(5):
        gw.report_health()
    health = [r for r in _outbox(gw) if r["kind"] == "health"]
    assert len(health) == 1
    assert health[0]["body"]["version"] and health[0]["body"]["unprinted"] == 0


def test_revisions_before_printing_print_only_the_latest(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    printer_sim.paper = False
    for rev in (1, 2, 3):
        gw.handle_down(_down(hub_signer, "order", order_body(rev=rev), gw.clock))
    wait_for(lambda: gw.health().printer == "paper_out", what="paper out")
    printer_sim.paper = True
    wait_for(lambda: gw.health().unprinted == 0, what="the spool to empty")
    assert printer_sim.text().count("社会应急联动指令单") == 1 and "第3版" in printer_sim.text()


def test_gps_port_over_tcp_feeds_arrival(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer
) -> None:
    gps = GpsSimulator()
    try:
        files.gps = gps.url
        gw = make_gateway(files.config())
        gw.handle_down(
            _down(hub_signer, "order", order_body(position=(31.24825, 121.587403)), gw.clock)
        )
        wait_for(lambda: gps.clients == 1, what="the terminal to open its GPS port")
        path = SHARED_DATA / "nmea" / "beidou-bd.log"
        if not path.is_file():
            pytest.skip(f"{path} is absent: the real GPS captures live in ../shared/data")
        capture = path.read_text(errors="replace")
        gps.send(capture.replace("\n", "\r\n"))
        wait_for(lambda: gw.orders.get(OID).arrived_at is not None, what="arrival by GPS")
        assert gw.last_fix is not None and gw.gps_parser.sentences > 20
    finally:
        gps.close()


def test_a_job_that_may_be_on_paper_is_reprinted_as_such(
    files: TerminalFiles,
    printer_sim: PrinterSimulator,
    make_gateway: Callable[..., Gateway],
    hub_signer: Signer,
) -> None:
    """What a restart finds after kill -9 between the write and the done mark: a job marked
    started and not printed. Its slip says 补打 and when the first attempt was."""
    files.printer_url = printer_sim.url
    gw = make_gateway(files.config(), start=False)
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    first = clock.now()
    gw.handle_down(_down(hub_signer, "order", order_body(), clock))
    [job] = gw.prints.pending()
    gw.prints.started(job.job, first)
    gw.prints.started(job.job, first + timedelta(minutes=9))  # the first time is kept
    clock.advance(timedelta(minutes=7).total_seconds())
    gw.start()
    wait_for(lambda: gw.health().unprinted == 0, what="the reprint")
    slip = printer_sim.text()
    assert slip.startswith("【补打】\n社会应急联动指令单\n") and slip.count("单号：") == 1
    shown = shanghai(first).strftime("%Y-%m-%d %H:%M")
    assert f"补打：首次打印 {shown}\n" in slip
    later = shanghai(first + timedelta(minutes=7)).strftime("%Y-%m-%d %H:%M")
    assert f"打印时间：{later}\n" in slip
