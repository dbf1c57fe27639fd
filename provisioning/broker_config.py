"""`broker-config`: Mosquitto's configuration and ACL for the county.

What each line is for:
- one TLS listener with `require_certificate` and `use_identity_as_username`: the
  certificate's CN is the MQTT username, so the ACL's `%u` is the unit id;
- `use_username_as_clientid`: the broker replaces whatever client id a client sends with
  that username, so no unit can claim another unit's client id, take over its session or
  receive the orders queued for it (MQTT 5 section 5.4.2);
- `crlfile`: revoked terminals are refused (re-read on SIGHUP);
- persistence with a ten-second autosave and queues sized for a long outage, because
  Mosquitto's default of 1,000 queued messages per client drops the rest silently;
- no anonymous access and no plain listener, unless one is asked for on 127.0.0.1 only,
  which then serves read-only `$SYS` monitoring to local tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provisioning import broker_files, pki
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout

MAX_QUEUED_MESSAGES = 100_000
MAX_QUEUED_BYTES = 256 * 1024 * 1024
MAX_PACKET_SIZE = 128 * 1024  # the contract's messages are at most 64 KiB
AUTOSAVE_SECONDS = 10  # a broker killed outright loses at most this much queue state


@dataclass(frozen=True)
class BrokerOptions:
    port: int = 8883
    bind: str = ""  # empty: every interface
    plain_port: int | None = None
    run_as: str = "mosquitto"
    data_dir: Path | None = None
    autosave_seconds: int = AUTOSAVE_SECONDS
    chown: bool | None = None
    """Give `run_as` the broker key and the data folder: None = when run as root and that
    user exists (provisioning/broker_files.py), False = never, True = always (root only)."""


def acl_text(county: str) -> str:
    """The ACL: units by pattern (%u is the certificate CN), the hub by name."""
    base = f"ld/v1/{county}"
    return "\n".join(
        [
            "# Written by liandong-provision broker-config. %u is the client certificate's CN.",
            "# The hub reads and writes everything of this county.",
            "user hub",
            f"topic readwrite {base}/#",
            "",
            "# Every other identity: only its own topics.",
            "# A unit reads its own orders and writes its own reports and state.",
            f"pattern read {base}/%u/down",
            f"pattern write {base}/%u/up",
            f"pattern write {base}/%u/state",
            "# A unit's gateway may relay its own trackers' positions.",
            f"pattern write {base}/%u/trackers/+",
            "# A tracker's CN is UNIT/trackers/TRACKER: this grants it exactly its own topic.",
            f"pattern write {base}/%u",
            "",
        ]
    )


def config_text(layout: Layout, acl_path: Path, data_dir: Path, options: BrokerOptions) -> str:
    root = layout.root.resolve()
    broker = root / "broker"
    lines = [
        "# Written by liandong-provision broker-config; regenerate rather than edit.",
        f"user {options.run_as}",
        "per_listener_settings true",
        "persistence true",
        f"persistence_location {data_dir.resolve()}/",
        f"autosave_interval {options.autosave_seconds}",
        "autosave_on_changes false",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        f"max_queued_bytes {MAX_QUEUED_BYTES}",
        "max_inflight_messages 20",
        "persistent_client_expiration 30d",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "",
        "# Terminals, trackers and the hub: mutual TLS, identity from the certificate.",
        f"listener {options.port}{' ' + options.bind if options.bind else ''}",
        "protocol mqtt",
        f"max_packet_size {MAX_PACKET_SIZE}",
        "tls_version tlsv1.2",
        f"cafile {broker / 'ca.crt'}",
        f"certfile {broker / 'broker.crt'}",
        f"keyfile {broker / 'broker.key'}",
        f"crlfile {layout.crl.resolve()}",
        "require_certificate true",
        "use_identity_as_username true",
        "use_username_as_clientid true",
        "allow_anonymous false",
        f"acl_file {acl_path.resolve()}",
        "",
    ]
    if options.plain_port is not None:
        lines += [
            "# Local monitoring only: loopback, anonymous, read-only $SYS.",
            f"listener {options.plain_port} 127.0.0.1",
            "protocol mqtt",
            "allow_anonymous true",
            f"acl_file {acl_path.resolve().with_name('acl-monitor')}",
            "",
        ]
    return "\n".join(lines)


def write_broker_config(pki_dir: Path, out: Path, options: BrokerOptions) -> Path:
    """Write `mosquitto.conf`, `acl` (and `acl-monitor` with a plain port) into `out`;
    return the path of mosquitto.conf."""
    return write_broker(pki_dir, out, options)[0]


def write_broker(pki_dir: Path, out: Path, options: BrokerOptions) -> tuple[Path, str | None]:
    """`write_broker_config`, plus the note for the installer when the files could not be
    made ready for the broker's user (not run as root)."""
    layout = Layout(pki_dir)
    county = layout.county()
    key = layout.broker_dir / "broker.key"
    for needed in (layout.broker_dir / "broker.crt", key, layout.crl):
        if not needed.exists():
            raise ProvisioningError(f"{needed} is missing: run `liandong-provision init`")
    for port in (options.port, options.plain_port):
        if port is not None and not 0 < port < 65536:
            raise ProvisioningError(f"port {port} is not a TCP port")
    if options.plain_port is not None and options.plain_port == options.port:
        raise ProvisioningError("the plain port must differ from the TLS port")
    data_dir = options.data_dir or out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    acl = out / "acl"
    pki.write_public(acl, acl_text(county.id).encode())
    reads = [layout.broker_dir / "broker.crt", layout.broker_dir / "ca.crt", layout.crl, acl]
    if options.plain_port is not None:
        pki.write_public(out / "acl-monitor", b"topic read $SYS/#\n")
        reads.append(out / "acl-monitor")
    conf = out / "mosquitto.conf"
    pki.write_public(conf, config_text(layout, acl, data_dir, options).encode())
    note = broker_files.prepare(
        options.run_as, key=key, reads=reads, data_dir=data_dir, hand=options.chown
    )
    return conf, note
