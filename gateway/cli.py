"""`liandong-gateway`: the duty-room terminal.

A thin command line over the library: `run` starts a Gateway and its kiosk and talks to
systemd; `check-config` and `test-print` are for the installer on site; `enroll` makes the
terminal's key and gets its certificate with a one-time token (gateway/enroll.py).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from gateway.config import GatewayConfig, check_files, load_config
from gateway.errors import GatewayError
from gateway.sdnotify import notify, watchdog_interval

if TYPE_CHECKING:  # imported only when used: slots, the kiosk (tests/gateway/test_lazy_imports.py)
    from flask import Flask
    from waitress.server import BaseWSGIServer

    from gateway.terminal import Gateway
    from gateway.update.wiring import UpdateWiring

log = logging.getLogger(__name__)


def _config(path: Path, *, files: bool = True) -> GatewayConfig:
    try:
        config = load_config(path)
        if files:
            check_files(config)
    except GatewayError as e:
        raise click.ClickException(str(e)) from None
    return config


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default="gateway.toml",
    show_default=True,
    help="gateway.toml from the provisioning bundle.",
)
"""Every command reads the same file, named the same way."""


@click.group(help="Liandong: the duty-room terminal (run).")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-gateway`."""


@main.command()
@config_option
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING.")
def run(config_path: Path, log_level: str) -> None:
    """Run the terminal: alarm, printer, buttons, GPS, MQTT link and kiosk, until SIGTERM."""
    from gateway.terminal import Gateway

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = _config(config_path)
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

    try:
        gw = Gateway(config, updates=_update_wiring(restart))
    except GatewayError as e:
        raise click.ClickException(str(e)) from None
    gw.start()
    server = _serve_kiosk(gw) if config.kiosk.enabled else None
    if server is None:
        notify(f"READY=1\nSTATUS=terminal {config.unit_id} ready, no kiosk")
        click.echo(f"ready: {config.unit_id} (kiosk off: [kiosk] enabled = false)", err=True)
    else:
        kiosk_port = server.effective_port
        log.info("kiosk on http://%s:%s/", config.kiosk.host, kiosk_port)
        notify(f"READY=1\nSTATUS=terminal {config.unit_id} ready, kiosk port {kiosk_port}")
        click.echo(
            f"ready: {config.unit_id} kiosk http://{config.kiosk.host}:{kiosk_port}/", err=True
        )
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
        raise click.ClickException(
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


EXIT_RESTART = 75
"""EX_TEMPFAIL: systemd's Restart=on-failure starts the unit again, from `current`."""


def _update_wiring(restart: Callable[[str], None]) -> UpdateWiring | None:
    """A/B updates when systemd says where the slots are (the slots drop-in sets
    LIANDONG_SLOTS, docs/updates.md); None on a terminal installed the old way."""
    root = os.environ.get("LIANDONG_SLOTS")
    if not root:
        return None
    from gateway.health.status import VERSION
    from gateway.update.wiring import UpdateWiring

    return UpdateWiring(root=Path(root), restart=restart, version=VERSION)


@main.command("check-config")
@config_option
@click.option("--offline", is_flag=True, help="Skip the broker checks (DNS and TLS).")
def check_config(config_path: Path, offline: bool) -> None:
    """Validate gateway.toml, then check for real: the files it names, the broker's name
    and a TLS handshake with this unit's certificate, the printer and GPS devices, the
    kiosk's port. Each problem is one line; exit status 1 if there is any."""
    from gateway.preflight import check_all

    c = _config(config_path, files=False)
    click.echo(f"unit {c.unit_id} in county {c.county}; state in {c.state_dir}")
    click.echo(
        f"broker {c.mqtt.host}:{c.mqtt.port}; printer {c.printer.port} ({c.printer.encoding})"
    )
    gps = "none"
    if c.gps:
        gps = c.gps.port if c.gps.source == "nmea" else f"gpsd {c.gps.gpsd_host}:{c.gps.gpsd_port}"
    kiosk = f"{c.kiosk.host}:{c.kiosk.port}" if c.kiosk.enabled else "off"
    click.echo(f"pins {c.pins}; gps {gps}; kiosk {kiosk}")
    click.echo(f"speech {c.speech.device if c.speech else 'off'}")
    problems = check_all(c, offline=offline)
    for problem in problems:
        click.echo(f"错误 ERROR: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    skipped = "（未检查网络 / network not checked）" if offline else ""
    click.echo(f"配置正确{skipped} / configuration OK")


@main.command("test-print")
@config_option
def test_print(config_path: Path) -> None:
    """Print a test page with Chinese text and punctuation on the configured printer."""
    from gateway.devices.printer import Printer
    from gateway.devices.slip import check_page_slip
    from wire.clock import SystemClock

    try:
        c = load_config(config_path)
    except GatewayError as e:
        raise click.ClickException(str(e)) from None
    printer = Printer(c.printer)
    try:
        printer.print_slip(check_page_slip(c.unit_id, SystemClock().now()))
    except GatewayError as e:
        raise click.ClickException(f"{e} (printer state: {printer.state})") from None
    finally:
        printer.close()
    click.echo(f"printed; printer state {printer.state}")


@main.command("enroll")
@click.option(
    "--token-file",
    type=click.Path(path_type=Path),
    help="The token file from `liandong-provision token --out` (hub URL, token, CA).",
)
@click.option("--hub", "hub_url", help="The hub's https:// address (instead of the file's).")
@click.option("--token", help="The one-time token (instead of the file's).")
@click.option("--unit", help="With --token: this terminal's unit id.")
@click.option("--county", help="With --token: the county id.")
@click.option(
    "--ca",
    "ca_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA certificate to trust the hub's HTTPS by (default: the token file's).",
)
@click.option(
    "--dir",
    "dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Where to write the bundle (ca.crt, unit.crt, unit.key, hub-dispatch.pub, gateway.toml).",
)
@click.option("--printer", help="[printer] port, if not /dev/ld-printer.")
@click.option("--gps", help="[gps] port, when the duty room has a GPS.")
@click.option("--force", is_flag=True, help="Replace a unit certificate already in --dir.")
@click.option(
    "--insecure-http", is_flag=True, help="Allow a plain http:// hub (tests and development)."
)
def enroll_cmd(
    token_file: Path | None,
    hub_url: str | None,
    token: str | None,
    unit: str | None,
    county: str | None,
    ca_path: Path | None,
    dest: Path,
    printer: str | None,
    gps: str | None,
    force: bool,
    insecure_http: bool,
) -> None:
    """Join the county: make this terminal's key (it never leaves), send a CSR with the
    one-time token to the hub over HTTPS, and write the bundle `run` reads."""
    from gateway.enroll import EnrollError, TokenFile, enroll

    try:
        if token_file is not None:
            found = TokenFile.load(token_file)
        elif hub_url and token and unit and county and ca_path:
            found = TokenFile(hub_url, unit, county, token, b"")
        else:
            raise EnrollError("give --token-file, or --hub, --token, --unit, --county and --ca")
        if hub_url:
            found = TokenFile(hub_url, found.unit, found.county, found.token, found.ca_pem)
        if token:
            found = TokenFile(found.hub, found.unit, found.county, token, found.ca_pem)
        ca = ca_path.read_bytes() if ca_path else None
        enroll(
            found,
            dest,
            ca_pem=ca,
            printer=printer,
            gps=gps,
            insecure_http=insecure_http,
            force=force,
        )
    except (EnrollError, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"已注册 / enrolled: {found.unit}; bundle in {dest}")
