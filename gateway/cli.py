"""`liandong-gateway`: the duty-room terminal.

A thin command line over the library: `run` starts a Gateway and its kiosk and talks to
systemd; `check-config` and `test-print` are for the installer on site.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from gateway.config import GatewayConfig, check_files, load_config
from gateway.errors import GatewayError
from gateway.sdnotify import notify, watchdog_interval

log = logging.getLogger(__name__)


def _config(path: Path) -> GatewayConfig:
    try:
        config = load_config(path)
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
    import waitress

    from gateway.kiosk import create_app
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
    try:
        gw = Gateway(config)
    except GatewayError as e:
        raise click.ClickException(str(e)) from None
    gw.start()
    server = waitress.create_server(
        create_app(gw), host=config.kiosk.host, port=config.kiosk.port, threads=4
    )
    web = threading.Thread(target=server.run, name="kiosk", daemon=True)
    web.start()
    kiosk_port = server.effective_port
    log.info("kiosk on http://%s:%s/", config.kiosk.host, kiosk_port)
    notify(f"READY=1\nSTATUS=terminal {config.unit_id} ready, kiosk port {kiosk_port}")
    click.echo(f"ready: {config.unit_id} kiosk http://{config.kiosk.host}:{kiosk_port}/", err=True)
    period = watchdog_interval() or 5.0
    while not stop.wait(period):
        if gw.alive():
            notify("WATCHDOG=1")
        else:
            log.error("a terminal thread died; not pinging the watchdog (systemd restarts us)")
    notify("STOPPING=1")
    log.info("stopping")
    server.close()
    gw.stop()


@main.command("check-config")
@config_option
def check_config(config_path: Path) -> None:
    """Validate gateway.toml and the files it names; print what it resolved to."""
    c = _config(config_path)
    click.echo(f"unit {c.unit_id} in county {c.county}; state in {c.state_dir}")
    click.echo(
        f"broker {c.mqtt.host}:{c.mqtt.port}; printer {c.printer.port} ({c.printer.encoding})"
    )
    gps = "none"
    if c.gps:
        gps = c.gps.port if c.gps.source == "nmea" else f"gpsd {c.gps.gpsd_host}:{c.gps.gpsd_port}"
    click.echo(f"pins {c.pins}; gps {gps}; kiosk {c.kiosk.host}:{c.kiosk.port}")
    click.echo(f"speech {c.speech.device if c.speech else 'off'}")
    click.echo("配置正确 / configuration OK")


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
