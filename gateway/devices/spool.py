"""The print spool: jobs live in SQLite and leave only once printed.

A job is written in the same transaction as the order it prints (`PrintQueue.add` inside
the caller's `Store.tx()`), so after a power cut, or while the printer is out of paper or
unplugged, nothing is forgotten: the spool retries every `retry_s` and prints what is
waiting as soon as the printer answers again. The alarm and the buttons never wait for the
printer. `PrintQueue` is the one writer of the `prints` table.

An order's slip on paper (`printed`) and a failure to print it (`print_failed`, with its
reason) are reported to the hub through `PrintReports`, each in the same transaction as the
job's mark it reports (the devices know nothing of the uplink: the duty room supplies it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from gateway.devices.printer import Printer
from gateway.devices.slip import Slip, cancel_slip, check_page_slip, order_slip, reprint
from gateway.errors import PrinterError, UnknownOrderError
from gateway.state.orders import OrderBook
from gateway.state.store import Store
from wire.clock import Clock, parse_rfc3339, rfc3339

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintJob:
    job: int
    order_id: str
    what: str  # order | cancel | test
    note: str
    started_at: datetime | None = None
    """When its bytes first went to the printer; set, the job may be on paper already."""


class PrintReports(Protocol):
    """Reports about an order's slip; the first two run inside the spool's transaction."""

    def printed(self, order_id: str, reprint: bool) -> None: ...
    def print_failed(self, order_id: str, reason: str, detail: str) -> None: ...
    def flush(self) -> None:
        """After the commit: send what was reported."""


FAILURE_REASONS = ("paper_out", "offline")
"""Printer states reported as they are; anything else the printer said is `error`."""


class PrintQueue:
    """The print jobs in the terminal's store, with their two marks (started, printed)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, order_id: str, what: str, note: str = "") -> None:
        """Queue a job, inside the caller's transaction if there is one."""
        with self.store.tx() as c:
            c.execute(
                "INSERT INTO prints (order_id, what, note, created) VALUES (?, ?, ?, ?)",
                (order_id, what, note, rfc3339(self.store.clock.now())),
            )

    def pending(self) -> list[PrintJob]:
        with self.store.read() as c:
            rows = c.execute(
                "SELECT job, order_id, what, note, started_at FROM prints"
                " WHERE printed_at IS NULL ORDER BY job"
            ).fetchall()
        return [
            PrintJob(int(j), str(o), str(w), str(n), parse_rfc3339(s) if s else None)
            for j, o, w, n, s in rows
        ]

    def started(self, job: int, when: datetime) -> None:
        """Committed just before the job's bytes go to the port; the first time is kept.

        This is what tells the slip that was on its way to paper when the terminal died
        (reprinted as 补打) from one that never left (printed as the original)."""
        with self.store.tx() as c:
            c.execute(
                "UPDATE prints SET started_at = COALESCE(started_at, ?) WHERE job = ?",
                (rfc3339(when), job),
            )

    def printed(self, job: int, when: datetime) -> None:
        """The done mark: once committed, no path selects the job again (`pending` reads
        only jobs without it, and nothing ever clears it)."""
        with self.store.tx() as c:
            c.execute("UPDATE prints SET printed_at = ? WHERE job = ?", (rfc3339(when), job))

    def failed(self, job: int, reason: str) -> bool:
        """Count a failed attempt; True when `reason` differs from the last one recorded
        (the first failure, or paper out after off line): that is worth a report."""
        with self.store.tx() as c:
            row = c.execute("SELECT failed_reason FROM prints WHERE job = ?", (job,)).fetchone()
            c.execute(
                "UPDATE prints SET attempts = attempts + 1, failed_reason = ? WHERE job = ?",
                (reason, job),
            )
        return row is not None and row[0] != reason


class Spooler:
    def __init__(
        self,
        jobs: PrintQueue,
        orders: OrderBook,
        printer: Printer,
        clock: Clock,
        unit: str,
        retry_s: float = 5.0,
        reports: PrintReports | None = None,
    ) -> None:
        self.jobs = jobs
        self.reports = reports
        self.orders = orders
        self.printer = printer
        self.clock = clock
        self.unit = unit
        self.retry_s = retry_s
        self.printed = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        self._wake.set()

    def slip(self, job: PrintJob, now: datetime) -> Slip:
        """The job's slip as printed at `now`; marked 补打 if an earlier attempt may be on
        paper already (see `run_once`)."""
        if job.what == "test":
            slip = check_page_slip(self.unit, now, job.note)
        else:
            order = self.orders.get(job.order_id).order
            if job.what == "cancel":
                slip = cancel_slip(order, job.note, now)
            else:
                slip = order_slip(order, now)
        return reprint(slip, job.started_at) if job.started_at else slip

    def run_once(self) -> int:
        """Print what is waiting, in order; stop at the first failure. Returns jobs printed.

        A job is marked started (committed) just before its bytes go to the port and
        printed (committed) just after the printer took them. A kill -9 or power cut in
        between leaves a job that may be on paper: it is printed again at the restart, as
        补打 with the time of the first attempt. Once marked printed, a job is never
        selected again, so a finished slip is never printed twice.
        """
        done = 0
        jobs = self.jobs.pending()
        latest = {j.order_id: j.job for j in jobs if j.what == "order"}
        for job in jobs:
            if job.what == "order" and latest[job.order_id] != job.job:
                # a revision came before this was printed: print only the latest rev once
                self.jobs.printed(job.job, self.clock.now())
                continue
            now = self.clock.now()
            try:
                slip = self.slip(job, now)
            except UnknownOrderError:
                log.error("print job %s names an unknown order %s; dropped", job.job, job.order_id)
                self.jobs.printed(job.job, now)
                continue
            try:
                self.printer.print_slip(slip, partial(self.jobs.started, job.job, now))
            except PrinterError as e:
                self.failures += 1
                self._failed(job, e)
                log.warning("print job %s (%s) waits: %s", job.job, job.what, e)
                return done
            with self.jobs.store.tx():
                self.jobs.printed(job.job, self.clock.now())
                if self.reports and job.what == "order":
                    self.reports.printed(job.order_id, reprint=job.started_at is not None)
            if self.reports and job.what == "order":
                self.reports.flush()
            self.printed += 1
            done += 1
            log.info(
                "printed %s for order %s%s",
                job.what,
                job.order_id,
                " (补打)" if job.started_at else "",
            )
        return done

    def _failed(self, job: PrintJob, error: PrinterError) -> None:
        """Count the failure; report it (an order's slip, a reason not yet reported) in the
        same transaction."""
        state = self.printer.state
        reason = state if state in FAILURE_REASONS else "error"
        report = self.reports if job.what == "order" else None
        with self.jobs.store.tx():
            if self.jobs.failed(job.job, reason) and report:
                report.print_failed(job.order_id, reason, str(error))
            else:
                report = None
        if report:
            report.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.run_once():
                    self.printer.status()  # keep health's printer state fresh
            except Exception:
                log.exception("print spool failed; retrying")
            self._wake.wait(self.retry_s)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spool", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)
