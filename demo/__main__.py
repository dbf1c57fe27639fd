"""`make demo`: the whole county on one machine.

Provisions a throwaway Shuangbai county in a state folder, starts its own Mosquitto from the
generated configuration, the hub (with its console) and a terminal for every tier-1 unit
with simulated hardware, then plays a scenario of calls that simulated duty rooms
acknowledge, attend (their vehicles' GPS reports arrival) and report back on. One unit loses
its network for a while and catches up afterwards. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from demo.run import Demo, DemoError

EPILOG = """\
examples:
  make demo                                            # 12 calls at 60x, then keeps running
  make demo ARGS="--calls 20 --speed 60 --until-done"  # headless: summary, exit 0 if none lost
  make demo ARGS="--calls 5 --until-done --keep"       # then look at the console at leisure

county time runs SPEED times faster than real time for the hub and every terminal alike,
so at --speed 60 a 3-minute acknowledgement deadline passes in 3 s.
exit status: 0 nothing lost, 1 something lost or the run timed out, 2 bad options or
start-up failure, 130 interrupted (Ctrl-C) before the run was over (after --keep's summary,
Ctrl-C ends with the run's own status).
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m demo",
        usage=(
            'make demo ARGS="[--calls N] [--speed N] [--seed N] [--state DIR]\n'
            "                 [--until-done [--keep] [--timeout S]] [--http-port P]"
            " [--no-outage] [--rollout]\n"
            '                 [--county-start HH:MM]"'
        ),
        description=(
            "联动 Liandong 演示 demo: the whole Shuangbai county on this machine: its own\n"
            "Mosquitto, the hub with its operator console, and a terminal for each of the 29\n"
            "tier-1 units with simulated pins, printer and GPS, playing a scenario of calls.\n"
            "Prints the console address and a login; Ctrl-C stops everything cleanly."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--calls", type=int, default=12, metavar="N", help="number of calls to play (default 12)"
    )
    p.add_argument(
        "--speed",
        type=float,
        metavar="N",
        default=60.0,
        help="county time per real second (default 60: one minute per second)",
    )
    p.add_argument(
        "--seed", type=int, default=1, metavar="N", help="seed of the scenario (default 1)"
    )
    p.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        default=Path("demo-state"),
        help="state folder, wiped at start (default demo-state/)",
    )
    p.add_argument(
        "--until-done",
        action="store_true",
        help="stop when every order is fed back and print the summary (headless runs, CI)",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="with --until-done: keep everything running after the summary, at real speed, "
        "for looking at the console; Ctrl-C to stop",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        default=900.0,
        help="with --until-done: give up after this many real seconds (default 900)",
    )
    p.add_argument(
        "--http-port",
        type=int,
        default=0,
        metavar="P",
        help="console/API port (default: any free port)",
    )
    p.add_argument("--no-outage", action="store_true", help="do not cut any unit's network")
    p.add_argument(
        "--county-start",
        type=_hhmm,
        metavar="HH:MM",
        default=None,
        help="start county time at the next HH:MM Beijing time instead of now (23:55 shows "
        "a run crossing midnight; never in the past: the certificates are made now)",
    )
    p.add_argument(
        "--rollout",
        action="store_true",
        help="after the calls, roll version+1 out to the terminals: canary, 50%%, all "
        "(docs/updates.md; installing into the slot is simulated, see demo/rollout.py)",
    )
    args = p.parse_args(argv)
    if not 1 <= args.calls <= 200:
        p.error("--calls must be 1-200 (the progress line reads every incident each second)")
    if not 1 <= args.speed <= 600:
        p.error("--speed must be 1-600")
    if not 0 <= args.http_port <= 65535:
        p.error("--http-port must be a port number")
    return args


def _hhmm(text: str) -> tuple[int, int]:
    """`--county-start`'s HH:MM, checked here so a typo is an option error, not a crash."""
    hh, sep, mm = text.partition(":")
    if sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60:
        return int(hh), int(mm)
    raise argparse.ArgumentTypeError(f"not a time of day HH:MM: {text!r}")


def _logging(state: Path) -> None:
    """Everything the parts log goes to STATE/demo.log; the screen shows our lines only."""
    handler = logging.FileHandler(state / "demo.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    interrupted = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        interrupted.set()
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: where is it?
    demo = Demo(args, stop, setup_logging=_logging)
    started = time.monotonic()
    try:
        demo.start()
        code = demo.play()
    except DemoError as e:
        print(f"演示无法启动 demo could not start: {e}", file=sys.stderr, flush=True)
        code = 2
    finally:
        demo.stop()
    if interrupted.is_set():
        print(
            f"已中断，全部停止 interrupted, everything stopped ({time.monotonic() - started:.0f} s)"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
