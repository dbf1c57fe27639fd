"""Issue 11, case 9: kill -9 around printing never prints a finished slip twice, and the
slip that was on its way to paper when the terminal died comes out again marked 补打.

The real `liandong-gateway run` process, a real Mosquitto and the printer simulator,
which here never answers DLE EOT (like many cheap printers): the terminal waits out its
status timeout before and after every job, which opens a window of about a second
between the last byte of a slip and the job's done mark, the window a kill -9 "during
printing" lands in. Each order is killed at one point, and what the printer and the
state file show at that moment says which point it was:

- before the bytes (job stored, nothing on paper): printed once after the restart;
- in progress (the whole slip on paper, job not marked done): printed again as 补打;
- done (job marked done): never printed again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from demo.broker import Broker, free_port
from gateway.devices.simulators import PrinterSimulator
from tests.e2e.procs import GatewayProcess, query
from tests.gateway.conftest import Hub, TerminalFiles, order_body
from tests.support.wait import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

BEFORE, IN_PROGRESS, DONE = "before the bytes", "in progress", "done"


class Terminal:
    """The terminal process, its printer and its state file, as the test sees them."""

    def __init__(self, files: TerminalFiles, printer: PrinterSimulator) -> None:
        kiosk = free_port()
        files.kiosk = f"127.0.0.1:{kiosk}"
        files.printer_url = printer.url
        self.printer = printer
        self.db = files.root / "state" / "gateway.sqlite3"
        self.proc = GatewayProcess(files.write(), f"http://127.0.0.1:{kiosk}")

    def start(self) -> None:
        self.proc.start()
        wait_for(lambda: (self.proc.status() or {}).get("link", {}).get("connected"), 15, "link")

    def job(self, order_id: str) -> tuple[bool, bool]:
        """(stored, marked printed) for the order's print job, read from the state file."""
        if not self.db.exists():
            return False, False
        rows = query(self.db, "SELECT printed_at FROM prints WHERE order_id = ?", (order_id,))
        return bool(rows), any(r[0] is not None for r in rows)

    def on_paper(self, order_id: str) -> int:
        """How many whole slips of this order the printer has cut."""
        return sum(f"单号：{order_id}" in s for s in self.printer.slips())

    def kill_at(self, order_id: str, point: str) -> str:
        """kill -9 at `point`; returns the point the kill actually landed at."""
        if point == BEFORE:
            wait_for(lambda: self.job(order_id)[0], 10, f"{order_id} stored")
        elif point == IN_PROGRESS:
            wait_for(lambda: self.on_paper(order_id), 10, f"{order_id} on paper")
        else:
            wait_for(lambda: self.job(order_id)[1], 10, f"{order_id} marked printed")
        self.proc.kill9()
        # the kernel still delivers what the dead process had written: wait for its EOF
        wait_for(lambda: self.printer.clients == 0, 5, "the dead terminal's connection to close")
        stored, marked = self.job(order_id)
        assert stored, f"{order_id} was not stored before the kill"
        if marked:
            return DONE
        return IN_PROGRESS if self.on_paper(order_id) else BEFORE


@pytest.fixture
def silent_printer() -> Iterator[PrinterSimulator]:
    sim = PrinterSimulator()
    sim.answers_status = False
    sim.start()
    yield sim
    sim.stop()


def _slips_of(printer: PrinterSimulator, order_id: str) -> list[str]:
    return [s for s in printer.slips() if f"单号：{order_id}" in s]


def test_kill_during_printing_reprints_only_the_slip_in_progress_marked_reprint(
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    silent_printer: PrinterSimulator,
    request: pytest.FixtureRequest,
) -> None:
    files.broker_port = broker.port
    term = Terminal(files, silent_printer)

    def stop() -> None:
        term.proc.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"\n----- liandong-gateway -----\n{term.proc.read_log()[-20000:]}")

    request.addfinalizer(stop)
    term.start()
    landed: dict[str, str] = {}
    now = datetime.now().astimezone()
    for n, point in enumerate((BEFORE, IN_PROGRESS, DONE), start=1):
        order_id = f"01JORDER00000000000KILL{n}"
        hub.send("order", order_body(order_id, now=now))
        landed[order_id] = term.kill_at(order_id, point)
        term.start()
    barrier = "01JORDER000000000BARRIER"  # printed after anything the restarts re-queued
    hub.send("order", order_body(barrier, now=now))
    wait_for(lambda: term.job(barrier)[1], 15, "the last order printed")
    wait_for(lambda: (term.proc.status() or {}).get("printer", {}).get("unprinted") == 0, 5)
    term.proc.stop()

    paper = {}  # order -> (where the kill landed, originals, reprints): the evidence
    for order_id, point in landed.items():
        slips = _slips_of(silent_printer, order_id)
        reprints = [s for s in slips if "【补打】" in s]
        paper[order_id] = (point, len(slips) - len(reprints), len(reprints))
    print(f"kill -9 landed and what the paper shows: {paper}")
    assert IN_PROGRESS in landed.values(), f"no kill landed while printing: {landed}"
    assert all(originals == 1 for _, originals, _ in paper.values()), paper
    assert all(n == (1 if point == IN_PROGRESS else 0) for point, _, n in paper.values()), paper
    for order_id, point in landed.items():
        if point == IN_PROGRESS:
            original, reprint = _slips_of(silent_printer, order_id)
            [first] = re.findall(r"打印时间：(\S+ \S+)", original)
            assert "【补打】" in reprint and f"补打：首次打印 {first}" in reprint
    assert len(_slips_of(silent_printer, barrier)) == 1
