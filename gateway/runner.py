"""`liandong-gateway run`: the terminal until SIGTERM, with no command-line library loaded.

The terminal is the one long-lived process on a duty room's small board, and what it
imports stays resident for months: click alone weighs about 1 MiB there (docs/gateway.md,
Figures). So `run` lives here, and `gateway.launch` calls it directly when the command
line is the one the systemd unit gives; every other command (and `run --help`) goes
through click in `gateway.cli`, which calls this same function.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from gateway.config import load_checked
from gateway.errors import GatewayError
from gateway.sdnotify import notify, watchdog_interval

if TYPE_CHECKING:  # imported only when used: slots, the kiosk (tests/gateway/test_lazy_imports.py)
    from flask import Flask
    from waitress.server import BaseWSGIServer

    from gateway.terminal import Gateway
    from gateway.update.wiring import UpdateWiring

log = logging.getLogger(__name__)

EXIT_RESTART = 75
"""EX_TEMPFAIL: systemd's Restart=on-failure starts the unit again, from `current`."""


def run(config_path: Path, log_level: str) -> None:
    """Run the terminal: alarm, printer, buttons, GPS, MQTT link and kiosk, until SIGTERM.

    Raises GatewayError for what the duty room's installer must fix (the caller prints it
    as one line and exits 1) and SystemExit(EXIT_RESTART) after an update switched slots.
    """
    from gateway.terminal import Gateway

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = load_checked(config_path)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    restart_why: list[str] = []

    def restart(why: str) -> None:
        """An update switched slots (or gave one up): stop, exit 75, systemd starts us."""
        restart_why.append(why)
        stop.set()

    gw = Gateway(config, updates=_update_wiring(restart))
    gw.start()
    server = _serve_kiosk(gw) if config.kiosk.enabled else None
    if server is None:
        notify(f"READY=1\nSTATUS=terminal {config.unit_id} ready, no kiosk")
        print(f"ready: {config.unit_id} (kiosk off: [kiosk] enabled = false)", file=sys.stderr)
    else:
        kiosk_port = server.effective_port
        log.info("kiosk on http://%s:%s/", config.kiosk.host, kiosk_port)
        notify(f"READY=1\nSTATUS=terminal {config.unit_id} ready, kiosk port {kiosk_port}")
        ready = f"ready: {config.unit_id} kiosk http://{config.kiosk.host}:{kiosk_port}/"
        print(ready, file=sys.stderr)
    sys.stderr.flush()
    period = watchdog_interval() or 5.0
    while not stop.wait(period):
        if gw.alive():
            notify("WATCHDOG=1")
        else:
            log.error("a terminal thread died; not pinging the watchdog (systemd restarts us)")
    notify("STOPPING=1")
    log.info("stopping")
    if server is not None:
        server.close()
    gw.stop()
    if restart_why:
        log.warning("restarting for an update: %s", restart_why[0])
        raise SystemExit(EXIT_RESTART)


def _serve_kiosk(gw: Gateway) -> BaseWSGIServer:
    """The kiosk on its own thread. Flask and waitress are imported here, not at start, so
    a terminal with `[kiosk] enabled = false` never loads them (tests/gateway/
    test_lazy_imports.py)."""
    import waitress

    from gateway.kiosk import create_app

    k = gw.config.kiosk
    app = create_app(gw)
    try:
        server = waitress.create_server(app, host=k.host, port=k.port, threads=4)
    except OSError as e:  # the kiosk's port is taken: one line, not a traceback
        gw.stop()
        raise GatewayError(
            f"看板端口 {k.host}:{k.port} 无法使用 / kiosk port unusable: "
            f"{e} (another liandong-gateway running? see [kiosk] listen)"
        ) from None
    threading.Thread(target=server.run, name="kiosk", daemon=True).start()
    threading.Thread(target=_settle_kiosk, args=(app,), name="kiosk-templates", daemon=True).start()
    return server


def _settle_kiosk(app: Flask) -> None:
    """Beside the start, off its path (READY=1 does not wait): compile the kiosk's
    templates and give the compiler's freed memory back to the system (1.8 MiB,
    gateway/heap.py)."""
    from gateway.heap import give_back_free_memory
    from gateway.kiosk import compile_templates

    try:
        compile_templates(app)
    except Exception:  # the page will compile it then, and say what is wrong
        log.exception("kiosk templates did not compile")
    give_back_free_memory()


def _update_wiring(restart: Callable[[str], None]) -> UpdateWiring | None:
    """A/B updates when systemd says where the slots are (the slots drop-in sets
    LIANDONG_SLOTS, docs/updates.md); None on a terminal installed the old way."""
    root = os.environ.get("LIANDONG_SLOTS")
    if not root:
        return None
    from gateway.health.status import VERSION
    from gateway.update.wiring import UpdateWiring

    return UpdateWiring(root=Path(root), restart=restart, version=VERSION)
