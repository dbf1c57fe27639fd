"""`liandong-gateway`: the duty-room terminal.

A thin command line over the library: `run` starts a Gateway and its kiosk and talks to
systemd (gateway/runner.py; the unit's own `run` line skips click, gateway/launch.py);
`check-config` and `test-print` are for the installer on site; `enroll` makes the
terminal's key and gets its certificate with a one-time token (gateway/enroll.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from gateway.config import RUN_OPTIONS, GatewayConfig, load_checked, load_config
from gateway.errors import GatewayError


def _config(path: Path, *, files: bool = True) -> GatewayConfig:
    try:
        return load_checked(path, files=files)
    except GatewayError as e:
        raise click.ClickException(str(e)) from None


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=RUN_OPTIONS["--config"],
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
@click.option(
    "--log-level",
    default=RUN_OPTIONS["--log-level"],
    show_default=True,
    help="DEBUG, INFO, WARNING.",
)
def run(config_path: Path, log_level: str) -> None:
    """Run the terminal: alarm, printer, buttons, GPS, MQTT link and kiosk, until SIGTERM.

    The systemd unit's own command line never reaches this: gateway.launch calls the
    runner without loading click (gateway/runner.py says why)."""
    from gateway.runner import run as run_terminal

    try:
        run_terminal(config_path, log_level)
    except GatewayError as e:
        raise click.ClickException(str(e)) from None


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
