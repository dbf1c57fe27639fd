"""gateway.toml: read, validate and resolve (docs/layout-and-config.md is the format).

Installers edit this file by hand, so every mistake gets an error that names the key and
says what is expected, and unknown keys are refused (a typo such as `buzer = 5` must not
silently leave the buzzer on its default pin). Paths are relative to the folder of the file.

The devices define their own settings (`PrinterConfig`, `DEFAULT_PINS`) and know nothing
of this file: config maps gateway.toml onto them, never the other way round.
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.devices.pin_numbers import DEFAULT_PINS
from gateway.devices.printer import PrinterConfig
from gateway.devices.speech import SpeechConfig
from gateway.errors import ConfigError
from wire.errors import WireError
from wire.ids import check_name

_SECTIONS: dict[str, set[str]] = {
    "unit": {"id", "county", "state_dir", "name"},
    "mqtt": {"host", "port", "ca", "cert", "key", "hub_key", "keepalive"},
    "pins": set(DEFAULT_PINS),
    "printer": {"port", "baudrate", "encoding"},
    "gps": {"source", "port", "baudrate", "gpsd", "arrival_radius_m"},
    "kiosk": {"listen", "enabled"},
    "speech": {"enabled", "device", "voice", "speed", "volume", "repeat_s", "lead_s"},
    "selfcall": {"categories", "townships"},
}
_REQUIRED = ("unit", "mqtt", "printer")


@dataclass(frozen=True)
class MqttConfig:
    host: str
    port: int
    ca: Path
    cert: Path
    key: Path
    hub_key: Path
    keepalive: int = 10


@dataclass(frozen=True)
class GpsConfig:
    port: str
    """The receiver's serial port (source "nmea"); empty for source "gpsd"."""
    baudrate: int = 9600
    arrival_radius_m: float = 150.0
    source: str = "nmea"
    """"nmea": the terminal reads the port itself; "gpsd": gpsd owns the receiver (and
    feeds chrony too) and the terminal reads gpsd's reports at gpsd_host:gpsd_port."""
    gpsd_host: str = "127.0.0.1"
    gpsd_port: int = 2947


@dataclass(frozen=True)
class KioskConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    """0 = any free port (the demo runs many kiosks on one machine)."""
    enabled: bool = True
    """`[kiosk] enabled = false`: no web server, and Flask is never imported (a terminal
    with no screen, worked by its buttons and paper alone: 7 MiB less, docs/gateway.md)."""


@dataclass(frozen=True)
class SelfCallConfig:
    """The county's lists the kiosk's self-recorded call form offers (code -> Chinese name),
    from the hub's registry; empty lists make the form ask for the codes as text."""

    categories: dict[str, str] = field(default_factory=dict)
    townships: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayConfig:
    unit_id: str
    county: str
    state_dir: Path
    mqtt: MqttConfig
    printer: PrinterConfig
    pins: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PINS))
    gps: GpsConfig | None = None
    kiosk: KioskConfig = field(default_factory=KioskConfig)
    unit_name: str = ""  # the kiosk header's name (云南电网双柏供电局); the id when not set
    speech: SpeechConfig | None = None
    """None (no [speech], or enabled = false): the terminal does not speak."""
    selfcall: SelfCallConfig = field(default_factory=SelfCallConfig)


def _get(section: Mapping[str, Any], name: str, key: str, kind: type, default: Any = None) -> Any:
    where = f"[{name}] {key}"
    if key not in section:
        if default is None:
            raise ConfigError(f"gateway.toml: {where} is missing")
        return default
    value = section[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(
            f"gateway.toml: {where} must be a {kind.__name__}, not {type(value).__name__}"
        )
    if isinstance(value, str) and not value.strip():
        raise ConfigError(f"gateway.toml: {where} must not be empty")
    return value


def _port(value: int, where: str, lowest: int = 1) -> int:
    if not lowest <= value <= 65535:
        raise ConfigError(f"gateway.toml: {where} must be a port number 1-65535, not {value}")
    return value


def _file_url(port: str, base: Path) -> str:
    if port.startswith("file:"):
        path = Path(port.removeprefix("file:").removeprefix("//"))
        return f"file:{(base / path).resolve()}"
    return port


def _check_sections(data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        if name not in _SECTIONS:
            raise ConfigError(f"gateway.toml: unknown section [{name}]")
        if not isinstance(value, dict):
            raise ConfigError(f"gateway.toml: [{name}] must be a table")
        unknown = sorted(set(value) - _SECTIONS[name])
        if unknown:
            raise ConfigError(f"gateway.toml: unknown key(s) in [{name}]: {', '.join(unknown)}")
    for name in _REQUIRED:
        if name not in data:
            raise ConfigError(f"gateway.toml: section [{name}] is missing")


def _pins(section: Mapping[str, Any]) -> dict[str, int]:
    pins = dict(DEFAULT_PINS)
    for key in DEFAULT_PINS:
        if key in section:
            value = _get(section, "pins", key, int)
            if not 0 <= value <= 27:
                raise ConfigError(f"gateway.toml: [pins] {key} must be a BCM pin 0-27, not {value}")
            pins[key] = value
    used: dict[int, str] = {}
    for key, pin in pins.items():
        if pin in used:
            raise ConfigError(f"gateway.toml: [pins] {key} and {used[pin]} both use BCM {pin}")
        used[pin] = key
    return pins


def _host_port(value: str, where: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"gateway.toml: {where} must be HOST:PORT, not {value!r}")
    return host.strip("[]"), _port(int(port), where)


def _gps(g: Mapping[str, Any], base: Path) -> GpsConfig:
    radius = _get(g, "gps", "arrival_radius_m", float, 150.0)
    if not 10.0 <= radius <= 10_000.0:
        raise ConfigError("gateway.toml: [gps] arrival_radius_m must be 10-10000 metres")
    source = _get(g, "gps", "source", str, "nmea")
    if source == "gpsd":
        for key in ("port", "baudrate"):
            if key in g:
                raise ConfigError(
                    f'gateway.toml: [gps] {key} is for source = "nmea"; with source = '
                    '"gpsd" gpsd owns the receiver (give gpsd = "HOST:PORT" if not local)'
                )
        host, port = _host_port(_get(g, "gps", "gpsd", str, "127.0.0.1:2947"), "[gps] gpsd")
        return GpsConfig(
            port="", arrival_radius_m=radius, source="gpsd", gpsd_host=host, gpsd_port=port
        )
    if source != "nmea":
        raise ConfigError(f'gateway.toml: [gps] source must be "nmea" or "gpsd", not {source!r}')
    if "gpsd" in g:
        raise ConfigError('gateway.toml: [gps] gpsd needs source = "gpsd"')
    return GpsConfig(
        port=_file_url(_get(g, "gps", "port", str), base),
        baudrate=_get(g, "gps", "baudrate", int, 9600),
        arrival_radius_m=radius,
    )


def _ranged(
    section: Mapping[str, Any], key: str, kind: type, default: Any, low: Any, high: Any
) -> Any:
    value = _get(section, "speech", key, kind, default)
    if not low <= value <= high:
        raise ConfigError(f"gateway.toml: [speech] {key} must be {low}-{high}, not {value}")
    return value


def _speech(s: Mapping[str, Any], base: Path) -> SpeechConfig | None:
    enabled = s.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError("gateway.toml: [speech] enabled must be true or false")
    device = _get(s, "speech", "device", str, "default")
    if device.startswith("file:"):
        device = f"file:{(base / device.removeprefix('file:')).resolve()}"
    config = SpeechConfig(
        device=device,
        voice=_get(s, "speech", "voice", str, "cmn"),
        speed=_ranged(s, "speed", int, 150, 80, 450),
        volume=_ranged(s, "volume", int, 100, 0, 200),
        repeat_s=_ranged(s, "repeat_s", float, 30.0, 5.0, 3600.0),
        lead_s=_ranged(s, "lead_s", float, 3.0, 0.0, 60.0),
    )
    return config if enabled else None


def parse_config(data: Mapping[str, Any], base: Path) -> GatewayConfig:
    """Validate a parsed gateway.toml; relative paths are resolved against `base`."""
    _check_sections(data)
    unit, mqtt, printer = data["unit"], data["mqtt"], data["printer"]
    try:
        unit_id = check_name(_get(unit, "unit", "id", str), "[unit] id")
        county = check_name(_get(unit, "unit", "county", str), "[unit] county")
    except WireError as e:
        raise ConfigError(f"gateway.toml: {e}") from None
    encoding = _get(printer, "printer", "encoding", str, "gb18030")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"gateway.toml: [printer] encoding {encoding!r} is not a known encoding "
            "(gb18030, gbk, big5, ...)"
        ) from None
    gps = _gps(data["gps"], base) if "gps" in data else None
    listen = _get(data.get("kiosk", {}), "kiosk", "listen", str, "127.0.0.1:8080")
    kiosk_on = data.get("kiosk", {}).get("enabled", True)
    if not isinstance(kiosk_on, bool):
        raise ConfigError("gateway.toml: [kiosk] enabled must be true or false")
    host, sep, kport = listen.rpartition(":")
    if not sep or not host or not kport.isdigit():
        raise ConfigError(f"gateway.toml: [kiosk] listen must be HOST:PORT, not {listen!r}")
    keepalive = _get(mqtt, "mqtt", "keepalive", int, 10)
    if not 5 <= keepalive <= 600:
        raise ConfigError("gateway.toml: [mqtt] keepalive must be 5-600 seconds")
    return GatewayConfig(
        unit_id=unit_id,
        county=county,
        state_dir=base / _get(unit, "unit", "state_dir", str, "state"),
        mqtt=MqttConfig(
            host=_get(mqtt, "mqtt", "host", str),
            port=_port(_get(mqtt, "mqtt", "port", int, 8883), "[mqtt] port"),
            ca=base / _get(mqtt, "mqtt", "ca", str),
            cert=base / _get(mqtt, "mqtt", "cert", str),
            key=base / _get(mqtt, "mqtt", "key", str),
            hub_key=base / _get(mqtt, "mqtt", "hub_key", str),
            keepalive=keepalive,
        ),
        printer=PrinterConfig(
            port=_file_url(_get(printer, "printer", "port", str), base),
            baudrate=_get(printer, "printer", "baudrate", int, 9600),
            encoding=encoding,
        ),
        pins=_pins(data.get("pins", {})),
        gps=gps,
        kiosk=KioskConfig(
            host=host.strip("[]"),
            port=_port(int(kport), "[kiosk] listen", lowest=0),
            enabled=kiosk_on,
        ),
        unit_name=_unit_name(unit, unit_id),
        speech=_speech(data["speech"], base) if "speech" in data else None,
        selfcall=SelfCallConfig(
            categories=_names(data.get("selfcall", {}), "categories"),
            townships=_names(data.get("selfcall", {}), "townships"),
        ),
    )


def _unit_name(section: Mapping[str, Any], unit_id: str) -> str:
    """`[unit] name`: one line of at most 64 characters, the id when absent."""
    name = _get(section, "unit", "name", str, unit_id).strip()
    if not name or len(name) > 64 or any(not c.isprintable() for c in name):
        raise ConfigError("gateway.toml: [unit] name must be one printable line of 1-64 characters")
    return str(name)


def _names(section: Mapping[str, Any], key: str) -> dict[str, str]:
    """`[selfcall] categories` / `townships`: a table of registry code -> Chinese name."""
    table = _get(section, "selfcall", key, dict, {})
    names: dict[str, str] = {}
    for code, name in table.items():
        try:
            check_name(code, f"[selfcall] {key} code")
        except WireError as e:
            raise ConfigError(f"gateway.toml: {e}") from None
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"gateway.toml: [selfcall] {key}.{code} must be a name")
        names[code] = name
    return names


def load_config(path: Path) -> GatewayConfig:
    """Read and validate gateway.toml; raise ConfigError naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_config(data, path.resolve().parent)


def check_files(config: GatewayConfig) -> None:
    """Raise ConfigError unless every key and certificate file named by the config exists."""
    m = config.mqtt
    for key, path in (("ca", m.ca), ("cert", m.cert), ("key", m.key), ("hub_key", m.hub_key)):
        if not path.is_file():
            raise ConfigError(f"gateway.toml: [mqtt] {key}: {path} does not exist")


def load_checked(path: Path, *, files: bool = True) -> GatewayConfig:
    """gateway.toml, validated, and (with `files`) every file it names there: what `run`
    and the command line's other commands read (gateway/runner.py, gateway/cli.py)."""
    config = load_config(path)
    if files:
        check_files(config)
    return config


RUN_OPTIONS = {"--config": "gateway.toml", "--log-level": "INFO"}
"""`liandong-gateway run`'s options and their defaults, for both ways in: gateway.launch's
short way (the unit's line, no click) and click's in gateway.cli, so both read the same
file when none is named."""
