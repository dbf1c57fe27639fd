"""The demo's one run: start the parts in order, play the calls, count, stop in reverse.

`Demo.start()` provisions and starts broker, hub and fleet; `play()` posts the calls on the
shared clock, prints progress and decides when the run is done; `stop()` is safe to call
whatever state start() reached, and joins every thread the demo started.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from demo import report, rollout
from demo.broker import Broker, BrokerError
from demo.clock import ScaledClock, next_beijing
from demo.county import INTAKE_SOURCE, Provisioned, provision, tier1_units, wipe
from demo.dualtrack import DualTrack
from demo.fleet import HEALTH_INTERVAL_S, Fleet
from demo.gatefeed import GateFeed, route
from demo.modem import ModemSimulator
from demo.rollcall import RollcallDrill
from demo.scenario import Call, IntakeClient, intake_body, make_calls
from demo.staff import Outage, Staff
from demo.tally import Tally, count, summary_table
from hub.alerts.settings import ModemSettings, NotifySettings
from hub.config import load_config
from hub.console.commands import create_admin
from hub.errors import HubError
from hub.registry import load_registry
from hub.runtime import Hub
from provisioning.errors import ProvisioningError
from wire.clock import shanghai

log = logging.getLogger(__name__)

ADMIN = "demo"
CONNECT_WAIT_S = 30.0
PROGRESS_EVERY_S = 10.0
OUTAGE_MIN_S = 600.0
INTERRUPTED = 130


class DemoError(Exception):
    """The demo could not start (a part failed); the message says which and why."""


def say(text: str) -> None:
    print(text, flush=True)


class Demo:
    def __init__(
        self,
        args: argparse.Namespace,
        stop: threading.Event,
        setup_logging: Callable[[Path], None] | None = None,
    ) -> None:
        self.args = args
        self.stop_event = stop
        self.setup_logging = setup_logging
        self.registry = load_registry()
        county_start: tuple[int, int] | None = getattr(args, "county_start", None)
        start = None
        if county_start is not None:
            start = next_beijing(county_start[0], county_start[1], datetime.now(UTC))
        self.clock = ScaledClock(args.speed, start=start)
        self.state: Path = args.state
        self.broker: Broker | None = None
        self.hub: Hub | None = None
        self.fleet: Fleet | None = None
        self.staff: Staff | None = None
        self.prov: Provisioned | None = None
        self.feed: GateFeed | None = None
        self.modem: ModemSimulator | None = None
        self.incidents: list[str] = []
        self.dual: DualTrack | None = None  # 自接 and a phone unit (demo/dualtrack.py)
        self.started = time.monotonic()
        self.clock_start = self.clock.now()

    # ---- start ---------------------------------------------------------------------------

    def start(self) -> None:
        args = self.args
        try:
            wipe(self.state)
        except OSError as e:
            raise DemoError(f"cannot prepare {self.state}: {e}") from None
        if self.setup_logging:
            self.setup_logging(self.state)
        say("联动 Liandong 演示 demo — 双柏县 Shuangbai County")
        units = tier1_units(self.registry)
        self.fleet = Fleet(units, self.registry, self.clock, self.state / "printouts")
        try:
            self.prov = prov = provision(self.state, units, self.fleet.options, gate_dir="gate")
            self.broker = Broker(
                prov.broker_conf, prov.port, self.state / "broker" / "mosquitto.log"
            )
            self.broker.start()
            say(f"  消息代理 broker   Mosquitto, mutual TLS, 127.0.0.1:{prov.port}")
            self.modem = ModemSimulator()  # escalation SMS go to a simulated modem (pty)
            config = dataclasses.replace(
                load_config(prov.hub_toml),
                listen_port=args.http_port,
                stale_after_s=max(15.0, 4 * HEALTH_INTERVAL_S * args.speed),
                notify=NotifySettings(channel="modem", modem=ModemSettings(port=self.modem.path)),
            )
            self.hub = Hub(config, clock=self.clock, registry=self.registry)
            self.hub.start()
            password = create_admin(config.db_path, ADMIN)
            bridge = self.hub.bridge
            if bridge is None:
                raise DemoError(f"{prov.hub_toml} has no [boundary]: the gate cannot run")
            self.feed = GateFeed(bridge.folders, bridge.mapping, bridge.config.source)
        except (ProvisioningError, BrokerError, HubError, OSError) as e:
            raise DemoError(str(e)) from None
        say(f"  指挥中心控制台 console  {self.hub.url}/")
        say(f"  登录 login        {ADMIN} / {password}  (一次性密码，首次登录须修改 one-time)")
        say(
            f"  网闸 110 gate     {self.feed.folders.inbound.parent}/"
            " (inbound/ done/ rejected/ outbound/)"
        )
        say(f"  短信猫 SMS modem  simulated on {self.modem.path} (督办短信 on each incident page)")
        say(
            f"  终端 terminals    {len(units)} 个一级联动单位 tier-1 units, 打印 printouts in "
            f"{self.state / 'printouts'}/"
        )
        say(
            f"  时间倍速 speed    {args.speed:g}x (1 s = {args.speed:g} s county time); "
            f"日志 log {self.state / 'demo.log'}"
        )
        slots = None
        if getattr(args, "rollout", False):  # the release key goes into the bundles first
            rollout.release_key(prov.pki)
            slots = rollout.DemoSlots(self.state / "slots", self.clock)
        self.fleet.start(prov.bundles, prov.port, slots)
        deadline = time.monotonic() + CONNECT_WAIT_S
        while self.fleet.connected() < len(units) and time.monotonic() < deadline:
            if self.stop_event.wait(0.1):
                return
        say(
            f"  {self.fleet.connected()}/{len(units)} 终端已连接 terminals connected"
            f" ({time.monotonic() - self.started:.0f} s)"
        )
        self.staff = Staff(self.fleet, self.clock, args.seed + 1, note=self._note)
        self.staff.start()

    def _note(self, text: str) -> None:
        say(f"[{shanghai(self.clock.now()):%H:%M}] {text}")

    # ---- play ----------------------------------------------------------------------------

    def play(self) -> int:
        args = self.args
        if (
            self.hub is None
            or self.fleet is None
            or self.staff is None
            or self.prov is None
            or self.feed is None
        ):
            return INTERRUPTED
        feed = self.feed
        feed.plant_refusal()
        calls = make_calls(self.registry, args.calls, args.seed)
        outage_index = None if args.no_outage else args.calls // 3
        client = IntakeClient(self.hub.url, INTAKE_SOURCE, self.prov.intake_key)
        run = f"{shanghai(self.clock.now()):%y%m%d%H%M}"
        begin = self.clock.now()
        drill = RollcallDrill(self.hub, self.fleet, self.clock, args.seed + 2, self._note)
        drill.call()  # before the first call: no outage under way
        pending = list(calls)
        span = calls[-1].at_s if calls else 0.0
        self.dual = DualTrack(
            self.hub, self.fleet, self.clock, self._note, self_at_s=span / 3, phone_at_s=span / 2
        )
        last_line, last_print, finished_said = "", 0.0, False
        done = False
        while not self.stop_event.wait(0.1):
            elapsed = (self.clock.now() - begin).total_seconds()
            while pending and pending[0].at_s <= elapsed:
                call = pending.pop(0)
                self._post(client, call, run, outage=call.index == outage_index)
            self._gate_step(feed)
            self._dual_step(elapsed, client, run)
            drill.step()
            now = time.monotonic()
            if now - last_print < 1.0:
                continue
            tally = count(self.hub, self.incidents, self.fleet)
            line = tally.progress()
            if line != last_line or now - last_print >= PROGRESS_EVERY_S:
                self._note(line)
                last_line = line
            last_print = now
            complete = not pending and self._complete(tally)
            if complete and len(drill.rounds) == 1:
                drill.call()  # the second round, once the calls are handled
            complete = complete and drill.settled()
            done = complete
            if complete and args.until_done:
                break
            if complete and not finished_said:
                self._note("场景结束，系统继续运行；Ctrl-C 停止 scenario finished; Ctrl-C to stop")
                finished_said = True
            if args.until_done and now - self.started > args.timeout:
                self._note(f"超时 timed out after {args.timeout:.0f} s")
                break
        self._gate_step(feed)
        final = count(self.hub, self.incidents, self.fleet, final=True)
        gate_rows, gate_ok = self._gate_summary(feed, final.problems)
        roll_rows, roll_ok = drill.rows()
        wall = time.monotonic() - self.started
        county_s = (self.clock.now() - self.clock_start).total_seconds()
        dual_rows = self.dual.rows() if self.dual else []
        say(
            summary_table(
                final, wall, county_s, finished=done, gate=gate_rows + dual_rows, rollcall=roll_rows
            )
        )
        for problem in final.problems[:20]:
            say(f"  ! {problem}")
        out = self.state / "report.json"
        # a self-taken call is recorded back-dated (taken 40 minutes before): its order
        # belongs to the day it was taken, which may be before the run's first day
        first = min([self.clock_start, *(self.dual.earliest() if self.dual else [])])
        line = report.command_line(self.prov.hub_toml, first, self.clock.now(), out)
        say(f"考核报表 assessment report (after the demo stops):\n  {line}")
        ok = done and final.lost == 0 and final.duplicates == 0 and gate_ok and roll_ok
        if ok and getattr(args, "rollout", False):
            ok = rollout.play(
                self.hub, self.prov.pki, sorted(self.fleet.terminals), self._note,
                self.stop_event.is_set,
            )  # fmt: skip
        if self.stop_event.is_set():
            return INTERRUPTED  # Ctrl-C before the run was over
        if args.keep and args.until_done:
            self.clock.set_speed(1.0)
            say(
                f"继续运行（实时）still running at real speed: {self.hub.url}/  Ctrl-C 停止 to stop"
            )
            self.stop_event.wait()
        return 0 if ok else 1

    def _post(self, client: IntakeClient, call: Call, run: str, *, outage: bool) -> None:
        assert self.hub is not None and self.staff is not None  # noqa: S101
        body = intake_body(call, self.clock.now(), run)
        how = route(call, outage=outage)
        if how != "http" and self.feed is not None:
            fmt = self.feed.drop(call, body, how, self.clock.now())
            cat = self.registry.categories[call.category].name_zh
            self._note(f"来电 call {call.index + 1}: 经网闸 via the gate ({fmt.upper()}) {cat}")
            return
        try:
            incident = client.post(body)
        except (RuntimeError, OSError) as e:
            log.error("call %d not taken: %s", call.index + 1, e)
            self._note(f"来电 {call.index + 1} 未受理 not taken: {e}")
            return
        self.incidents.append(str(incident["id"]))
        units = ", ".join(str(o["unit"]) for o in incident.get("orders", []))
        cat = self.registry.categories[call.category].name_zh
        self._note(f"来电 call {call.index + 1}: {cat} {call.address} -> {units}")
        if outage:
            lead = [o for o in incident.get("orders", []) if o.get("role") == "lead"]
            if lead:
                self.staff.outage = Outage(str(incident["id"]), str(lead[0]["unit"]), OUTAGE_MIN_S)

    def _dual_step(self, elapsed: float, client: IntakeClient, run: str) -> None:
        """The self-taken call and the phone unit's call; their incidents join the count."""
        if self.dual is None:
            return
        self.dual.step(elapsed, client, run)
        self.incidents.extend(i for i in self.dual.incidents if i not in self.incidents)

    def _gate_step(self, feed: GateFeed) -> None:
        """Calls the bridge has taken join the count; status files are ferried away."""
        assert self.hub is not None  # noqa: S101
        for call, incident_id in feed.taken(self.hub.desk):
            self.incidents.append(incident_id)
            view = self.hub.desk.incident(incident_id)
            units = ", ".join(o.unit for o in view.orders)
            self._note(f"来电 call {call.index + 1}: 网闸来件已受理 taken -> {units}")
        feed.ferry()

    def _gate_summary(
        self, feed: GateFeed, problems: list[str]
    ) -> tuple[list[tuple[str, str, str]], bool]:
        """The gate's rows of the summary, and whether it kept its promise: every file
        taken or refused, only the planted one refused, every call found, no status owed."""
        done, rejected, left = feed.counts()
        owed = self.hub.bridge.outbound_status()["backlog"] if self.hub and self.hub.bridge else 0
        formats = ", ".join(f"{k} {n}" for k, n in feed.by_format.items())
        rows = [
            ("网闸来件", "gate files in", f"{feed.dropped}  ({formats}, cap1.1 1)"),
            ("已接收", "gate files done", str(done)),
            ("拒收", "gate files rejected", f"{rejected}  (the CAP 1.1 one, on purpose)"),
            ("状态回执", "status files out", str(feed.status_out)),
        ]
        ok = left == 0 and rejected == 1 and done == feed.dropped - 1 and not feed.waiting
        if left or feed.waiting:
            problems.append(
                f"gate: {left} file(s) still in inbound/, {len(feed.waiting)} call(s) not taken"
            )
        if rejected != 1:
            problems.append(f"gate: {rejected} file(s) refused, expected only the planted one")
        return rows, ok and owed == 0

    def _complete(self, tally: Tally) -> bool:
        """Every order finished at the hub, every duty room idle, every outbox empty, every
        gate file taken and every status change written out."""
        assert self.fleet is not None and self.staff is not None  # noqa: S101
        if tally.finished < tally.orders or not self.staff.idle():
            return False
        if self.dual is not None and not self.dual.idle():
            return False
        if self.feed is not None and (self.feed.waiting or self.feed.counts()[2]):
            return False
        bridge = self.hub.bridge if self.hub else None
        if bridge is not None and bridge.outbound_status()["backlog"]:
            return False
        return all(t.unsent() == 0 for t in self.fleet.terminals.values())

    # ---- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop in reverse order of start; every step runs even if one before it failed."""
        if self.broker is None and self.hub is None and self.fleet is None and not self.modem:
            return
        begin = time.monotonic()
        steps: list[tuple[str, Callable[[], None] | None]] = [
            ("staff", self.staff.stop if self.staff else None),
            ("terminals", self.fleet.stop if self.fleet else None),
            ("hub", self.hub.stop if self.hub else None),
            ("sms modem", self.modem.close if self.modem else None),
            ("broker", self.broker.stop if self.broker else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("stopping the %s", name)
        self.staff = None
        self.fleet = None
        self.hub = None
        self.modem = None
        self.broker = None
        left = _threads_left()
        if left:
            log.warning("threads still running after stop: %s", ", ".join(left))
        say(f"已全部停止 everything stopped ({time.monotonic() - begin:.1f} s)")


def _threads_left(wait_s: float = 3.0) -> list[str]:
    """Threads other than this one still alive after `wait_s` (ones just ending get time)."""
    deadline = time.monotonic() + wait_s
    while True:
        left = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)
