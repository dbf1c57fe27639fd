"""`liandong-provision`: county PKI, unit enrollment and broker configuration.

A thin command line over the library: each command parses its options, calls one library
function and prints what the installer must do next.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from provisioning import (
    broker_config,
    county,
    enroll,
    health,
    hosts,
    intake,
    release_cli,
    revocation,
    tokens,
)
from provisioning import pki as pki_mod
from provisioning.configs import GatewayOptions
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout, tracker_identity

F = TypeVar("F", bound=Callable[..., Any])

pki_dir = click.option(
    "--dir",
    "pki",
    required=True,
    envvar="LIANDONG_PKI",
    type=click.Path(file_okay=False, path_type=Path),
    help="The county PKI folder (or $LIANDONG_PKI).",
)


def friendly(func: F) -> F:
    """Turn a ProvisioningError into a one-line error and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProvisioningError as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]


@click.group(help="Liandong: county PKI, unit enrollment and broker configuration.")
@click.version_option(package_name="liandong")
def main() -> None:
    """Entry point of `liandong-provision`."""


@main.command("init")
@click.option("--county", "county_id", required=True, help="County id, e.g. shuangbai.")
@pki_dir
@click.option(
    "--broker-host",
    "names",
    multiple=True,
    help="Name or IP terminals use for the broker (repeat; the first goes into every "
    "config, all go into the broker certificate). Each name must resolve here. Default: "
    "localhost and 127.0.0.1.",
)
@click.option(
    "--allow-unresolved",
    is_flag=True,
    help="Accept broker names that do not resolve yet (a DNS record still to be made).",
)
@click.option("--port", default=county.DEFAULT_PORT, show_default=True, help="Broker TLS port.")
@click.option("--force", is_flag=True, help="Replace an existing CA (every unit must re-enroll).")
@click.option(
    "--gate-dir",
    default=None,
    help="The 110 gate's folder (inbound/ done/ rejected/ outbound/ under it), relative to "
    "PKI/hub or absolute: writes [boundary] into hub.toml. Omit for a hub without a gate.",
)
@friendly
def init_cmd(
    county_id: str,
    pki: Path,
    names: tuple[str, ...],
    allow_unresolved: bool,
    port: int,
    force: bool,
    gate_dir: str | None,
) -> None:
    """Create the county CA, broker and hub certificates, the hub's dispatch key and
    hub/hub.toml. Refuses to overwrite an existing CA without --force."""
    missing = hosts.unresolved(list(names))
    if missing and not allow_unresolved:
        raise ProvisioningError(
            f"broker host {', '.join(missing)} does not resolve on this machine, and every "
            "terminal would fail to connect to it: give a name that resolves (or an IP), "
            "or add --allow-unresolved if its DNS record is still to be made"
        )
    layout = county.init_county(
        pki, county_id, broker_hosts=list(names) or None, port=port, force=force,
        gate_dir=gate_dir,
    )  # fmt: skip
    for name in missing:
        click.echo(
            f"WARNING: {name} does not resolve yet: make its DNS record before the terminals "
            "are installed (`liandong-provision check` warns until then)",
            err=True,
        )
    sans = ", ".join(layout.county().broker_hosts)
    click.echo(f"county {county_id} ready in {layout.root}; broker certificate for {sans}")
    click.echo(f"hub config: {layout.hub_dir / 'hub.toml'}")
    click.echo(f"next: liandong-provision broker-config --dir {pki} --out {layout.broker_dir}")


@main.command("enroll")
@click.argument("unit")
@pki_dir
@click.option(
    "--csr",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The terminal's CSR (its key never leaves it). Without it the key is made here.",
)
@click.option("--gps", "gps_port", help="GPS serial port or pyserial URL (omit: no [gps]).")
@click.option("--printer", default="/dev/ld-printer", show_default=True, help="Printer port.")
@click.option(
    "--name", "unit_name", help="The unit's Chinese name for the kiosk header (default: UNIT)."
)
@click.option("--force", is_flag=True, help="Replace a live certificate (it is revoked).")
@friendly
def enroll_cmd(
    unit: str,
    pki: Path,
    csr: Path | None,
    gps_port: str | None,
    printer: str,
    unit_name: str | None,
    force: bool,
) -> None:
    """Certify UNIT and write its bundle PKI/units/UNIT/ (ca.crt, unit.crt, unit.key if
    made here, hub-dispatch.pub, gateway.toml)."""
    options = GatewayOptions(gps_port=gps_port, printer_port=printer, unit_name=unit_name)
    csr_pem = csr.read_bytes() if csr else None
    bundle = enroll.enroll_unit(pki, unit, csr_pem=csr_pem, options=options, force=force)
    click.echo(f"bundle for {unit}: {bundle}")


@main.command("enroll-tracker")
@click.argument("unit")
@click.argument("tracker")
@pki_dir
@click.option(
    "--csr",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The tracker's CSR (CN UNIT/trackers/TRACKER). Without it the key is made here.",
)
@click.option("--force", is_flag=True, help="Replace a live certificate (it is revoked).")
@friendly
def enroll_tracker_cmd(unit: str, tracker: str, pki: Path, csr: Path | None, force: bool) -> None:
    """Certify a field tracker of UNIT (identity UNIT/trackers/TRACKER); it may publish
    only to ld/v1/COUNTY/UNIT/trackers/TRACKER."""
    csr_pem = csr.read_bytes() if csr else None
    folder = enroll.enroll_tracker(pki, unit, tracker, csr_pem=csr_pem, force=force)
    click.echo(f"tracker {tracker_identity(unit, tracker)}: {folder}")


@main.command("revoke")
@click.argument("unit")
@pki_dir
@click.option("--tracker", help="Revoke this tracker of UNIT instead of the unit.")
@click.option("--reason", default="", help="Recorded in ca/revoked.json.")
@friendly
def revoke_cmd(unit: str, pki: Path, tracker: str | None, reason: str) -> None:
    """Put UNIT's certificate (or one of its trackers') on the CRL. Reload the broker
    afterwards (systemctl reload mosquitto) so that it re-reads the CRL; a session the
    terminal already has survives a reload (the hub sends it nothing), only a restart ends it."""
    if tracker:
        path = Layout(pki).tracker_dir(unit, tracker) / "tracker.crt"
        if not path.exists():
            raise ProvisioningError(f"no tracker certificate at {path}")
        label = tracker_identity(unit, tracker)
        entry = revocation.revoke_certificate(pki, pki_mod.load_cert(path), label, reason=reason)
    else:
        entry = revocation.revoke(pki, unit, reason=reason)
    click.echo(
        f"revoked {entry.unit} (serial {entry.serial:x}); now reload the broker"
        " (restart it instead to end a session the terminal still has)"
    )


@main.command("crl-renew")
@pki_dir
@click.option(
    "--if-due",
    "due_days",
    type=int,
    help="Only renew when the CRL expires within this many days (for a timer).",
)
@friendly
def crl_renew_cmd(pki: Path, due_days: int | None) -> None:
    """Re-issue the CRL for another year. Reload the broker afterwards."""
    if due_days is None:
        click.echo(f"CRL renewed; next update {revocation.renew_crl(pki):%Y-%m-%d} UTC")
        return
    renewed = revocation.renew_if_due(pki, within_days=due_days)
    if renewed is None:
        click.echo(f"CRL still valid until {revocation.crl_expires(pki):%Y-%m-%d}; not renewed")
    else:
        click.echo(f"CRL renewed; next update {renewed:%Y-%m-%d} UTC")


@main.command("check")
@pki_dir
@friendly
def check_cmd(pki: Path) -> None:
    """Warn about what expires soon (the CRL within 30 days, certificates within 60);
    exit status 1 when anything needs action."""
    findings = health.check(pki)
    for finding in findings:
        click.echo(f"WARNING: {finding}", err=True)
    if findings:
        raise SystemExit(1)
    click.echo(f"all well; CRL valid until {revocation.crl_expires(pki):%Y-%m-%d} UTC")


@main.command("intake-key")
@click.argument("source")
@pki_dir
@click.option("--rotate", is_flag=True, help="Replace the source's existing key.")
@friendly
def intake_key_cmd(source: str, pki: Path, rotate: bool) -> None:
    """Make a secret for an intake SOURCE (e.g. cad-110, hotline-12345), record it in
    hub/intake-keys.toml and print it once for that system's administrator."""
    click.echo(intake.new_intake_key(pki, source, rotate=rotate))


@main.command("token")
@click.argument("unit")
@pki_dir
@click.option("--hours", default=24, show_default=True, help="Lifetime of the token.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write a token file (token, hub URL, CA) for the card's boot partition instead.",
)
@click.option("--hub-url", help="With --out: the hub's HTTPS address, e.g. https://hub.gov.")
@click.option(
    "--https-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --out: the CA of the hub's HTTPS certificate (default: the county CA).",
)
@friendly
def token_cmd(
    unit: str, pki: Path, hours: int, out: Path | None, hub_url: str | None, https_ca: Path | None
) -> None:
    """Make a one-time token with which UNIT's terminal enrolls over the network; it is
    printed once (or written, 0600, into the token file --out) and stored only as a hash."""
    if out is not None and not hub_url:
        raise ProvisioningError("--out needs --hub-url: the terminal must know where to enroll")
    if out is not None and out.exists():
        raise ProvisioningError(f"{out} exists; a token file is never overwritten")
    if out is None:
        click.echo(tokens.create_token(pki, unit, timedelta(hours=hours)))
        return
    ca = https_ca.read_bytes() if https_ca else None
    tokens.token_file(pki, unit, "x", str(hub_url), ca)  # check the inputs before a token exists
    token = tokens.create_token(pki, unit, timedelta(hours=hours))
    pki_mod.write_private(out, tokens.token_file(pki, unit, token, str(hub_url), ca))
    click.echo(f"token file for {unit}: {out}")
    click.echo("copy it to the card's boot partition as liandong-token.json")


@main.command("rotate-dispatch-key")
@pki_dir
@friendly
def rotate_cmd(pki: Path) -> None:
    """Make a new hub dispatch key and refresh hub-dispatch.pub in every unit bundle
    (see docs/security.md for the order of steps)."""
    units = county.rotate_dispatch_key(pki)
    click.echo(f"new dispatch key; redeploy hub-dispatch.pub to {len(units)} terminals:")
    for unit in units:
        click.echo(f"  {unit}")


@main.command("broker-config")
@pki_dir
@click.option("--port", type=int, help="TLS port (default: the port given to init).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for mosquitto.conf and acl (e.g. PKI/broker).",
)
@click.option("--bind", default="", help="Address to listen on (default: every interface).")
@click.option("--plain-port", type=int, help="Also a plain listener on 127.0.0.1, $SYS only.")
@click.option(
    "--run-as",
    default="mosquitto",
    show_default=True,
    help="User Mosquitto drops to when started as root; it must read the keys.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Persistence folder (default OUT/data).",
)
@click.option(
    "--chown/--no-chown",
    default=None,
    help="Give the --run-as user the broker key and the data folder (default: when run as "
    "root and that user exists).",
)
@friendly
def broker_config_cmd(
    pki: Path,
    port: int | None,
    out: Path,
    bind: str,
    plain_port: int | None,
    run_as: str,
    data_dir: Path | None,
    chown: bool | None,
) -> None:
    """Write mosquitto.conf and the ACL for the county's broker; as root, give the broker's
    user its key and data folder and check it can reach every file it opens."""
    options = broker_config.BrokerOptions(
        port=port or Layout(pki).county().port,
        bind=bind,
        plain_port=plain_port,
        run_as=run_as,
        data_dir=data_dir,
        chown=chown,
    )
    conf, note = broker_config.write_broker(pki, out, options)
    if note:
        click.echo(f"NOTE: {note}", err=True)
    click.echo(f"wrote {conf}; start with: mosquitto -c {conf}")


@main.command("console-cert")
@pki_dir
@click.option(
    "--name",
    "names",
    multiple=True,
    required=True,
    help="A name or IP the centre's seats open the console by (repeat; the first is the CN).",
)
@click.option("--force", is_flag=True, help="Replace an existing console key and certificate.")
@friendly
def console_cert_cmd(pki: Path, names: tuple[str, ...], force: bool) -> None:
    """Sign the console's HTTPS certificate with the county CA: PKI/console/console.crt and
    console.key (0600), for nginx (hub-install/install.sh)."""
    from provisioning.console_cert import issue_console_cert

    made = issue_console_cert(pki, list(names), force=force)
    click.echo(f"console certificate for {', '.join(made.names)}: {made.cert}")
    click.echo(f"  key {made.key}; valid until {made.not_after:%Y-%m-%d} UTC")
    click.echo(f"  the seats' browsers must trust the county CA: {Layout(pki).ca_crt}")


main.add_command(release_cli.group)
