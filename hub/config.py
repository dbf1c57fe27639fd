"""hub.toml (docs/layout-and-config.md): read once at start, paths resolved, errors named.

Paths inside the file are relative to the file's folder. Sections beyond the shared format,
all optional: `[presence] stale_after_s` (75), `[trackers] arrival_radius_m` (150) and
`max_fix_age_s` (120: an older fix is a position, never an arrival), `[delivery] window`
(100), `[intake] max_future_s` (300) and `max_age_days` (30), `[uplink]`:
`max_report_age_s` (86400) and `max_report_ahead_s` (300), how far from the hub's clock a
position or health may be dated; `rejected_sample` (20 raw refused messages kept per unit
and reason), `rejected_rate_per_s` (1) and `rejected_burst` (30), how many refused
messages per unit are written row by row (the rest are only counted); `[boundary]` (the
110 gate: hub/sources/boundary/config.py), `[http] trusted_proxies` (none: the console
judges every request by its peer address and ignores X-Forwarded-For; name nginx's
address here when it sits in front of the hub); `[notify]` (escalation SMS through a modem
or the county platform: hub/alerts/settings.py, docs/notifications.md); `[rollcall]`
(点名: `schedule`, `times_per_day`, `windows`, `answer_s`, `expire_s`; docs/rollcall.md);
`[process] one_cpu` (true: `liandong-hub serve` keeps its threads on one CPU, hub/one_cpu.py).
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.alerts.settings import NotifySettings, load_notify
from hub.dispatch.intake import IntakeWindow
from hub.dispatch.presence import STALE_AFTER_S, TimeWindow
from hub.dispatch.rejections import RejectionLimits
from hub.dispatch.rollcall.calls import RollcallTimes
from hub.dispatch.rollcall.plan import Schedule, parse_window
from hub.errors import ConfigError
from hub.sources.boundary.config import BoundaryConfig, load_boundary
from hub.terminals.link import MqttSettings


@dataclass(frozen=True)
class HubConfig:
    county: str
    registry: Path | None
    mqtt: MqttSettings
    dispatch_key: Path
    pki_dir: Path
    intake_keys: Path
    listen_host: str
    listen_port: int
    db_path: Path
    stale_after_s: float = 75.0
    arrival_radius_m: float = 150.0
    window: int = 100
    intake_window: IntakeWindow = field(default_factory=IntakeWindow)
    trusted_proxies: tuple[str, ...] = ()
    boundary: BoundaryConfig | None = None  # [boundary]: the 110 gate folders
    max_fix_age_s: float = 120.0
    max_report_age_s: float = 86400.0
    max_report_ahead_s: float = 300.0
    rejected_sample: int = 20
    rejected_rate_per_s: float = 1.0
    rejected_burst: int = 30
    one_cpu: bool = True  # [process] one_cpu: every hub thread on one CPU (hub/one_cpu.py)
    rubric: Path | None = None  # [assessment] rubric; None: the shipped Shuangbai default
    notify: NotifySettings | None = None  # [notify]: escalation SMS (hub/alerts/settings.py)
    rollcall: Schedule = field(default_factory=Schedule)  # [rollcall]: docs/rollcall.md
    rollcall_times: RollcallTimes = field(default_factory=RollcallTimes)
    # [fleet] (docs/updates.md): where release bundles are kept, the county's public release
    # key, and the address terminals download them from ("" = this hub's own /releases/)
    releases_dir: Path | None = None
    release_key: Path | None = None
    release_url: str = ""

    def settings(self) -> Settings:
        """The figures the dispatch parts are built with (hub/runtime.py)."""
        return Settings(
            stale_after_s=self.stale_after_s,
            intake_window=self.intake_window,
            report_window=TimeWindow(
                past=timedelta(seconds=self.max_report_age_s),
                ahead=timedelta(seconds=self.max_report_ahead_s),
            ),
            arrival_radius_m=self.arrival_radius_m,
            max_fix_age_s=self.max_fix_age_s,
            rejection_limits=RejectionLimits(
                sample=self.rejected_sample,
                rate_per_s=self.rejected_rate_per_s,
                burst=self.rejected_burst,
            ),
            notify=self.notify,
            rollcall=self.rollcall,
            rollcall_times=self.rollcall_times,
        )


@dataclass(frozen=True)
class Settings:
    """The figures of hub.toml the dispatch parts use (defaults: docs/hub.md)."""

    stale_after_s: float = STALE_AFTER_S
    intake_window: IntakeWindow = field(default_factory=IntakeWindow)
    report_window: TimeWindow = field(default_factory=TimeWindow)
    arrival_radius_m: float = 150.0
    max_fix_age_s: float = 120.0
    rejection_limits: RejectionLimits = field(default_factory=RejectionLimits)
    notify: NotifySettings | None = None
    rollcall: Schedule = field(default_factory=Schedule)
    rollcall_times: RollcallTimes = field(default_factory=RollcallTimes)


def _get(data: dict[str, Any], section: str, key: str, where: Path, default: Any = None) -> Any:
    value = data.get(section, {}).get(key, default)
    if value is None:
        raise ConfigError(f"{where}: [{section}] {key} is missing")
    return value


def load_config(path: Path) -> HubConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    base = path.resolve().parent

    def p(section: str, key: str, default: str | None = None) -> Path:
        return base / str(_get(data, section, key, path, default))

    pki_dir = p("pki", "dir", "..")
    registry = str(data.get("county", {}).get("registry", "") or "")
    rubric = str(data.get("assessment", {}).get("rubric", "") or "")
    listen = str(_get(data, "http", "listen", path, "127.0.0.1:8000"))
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{path}: [http] listen must be HOST:PORT, not {listen!r}")
    uplink = data.get("uplink", {})
    try:
        config = HubConfig(
            county=str(_get(data, "county", "id", path)),
            registry=base / registry if registry else None,
            mqtt=MqttSettings(
                host=str(_get(data, "mqtt", "host", path, "localhost")),
                port=int(_get(data, "mqtt", "port", path, 8883)),
                ca=p("mqtt", "ca", "ca.crt"),
                cert=p("mqtt", "cert", "hub.crt"),
                key=p("mqtt", "key", "hub.key"),
                keepalive=int(data.get("mqtt", {}).get("keepalive", 30)),
            ),
            dispatch_key=p("signing", "dispatch_key", "dispatch.key"),
            pki_dir=pki_dir,
            intake_keys=p("pki", "intake_keys", "intake-keys.toml"),
            listen_host=host,
            listen_port=int(port),
            db_path=p("store", "path", "hub.sqlite3"),
            stale_after_s=float(data.get("presence", {}).get("stale_after_s", 75.0)),
            arrival_radius_m=float(data.get("trackers", {}).get("arrival_radius_m", 150.0)),
            window=int(data.get("delivery", {}).get("window", 100)),
            intake_window=IntakeWindow(
                max_future_s=float(data.get("intake", {}).get("max_future_s", 300.0)),
                max_age_days=float(data.get("intake", {}).get("max_age_days", 30.0)),
            ),
            trusted_proxies=_proxies(data.get("http", {}).get("trusted_proxies", []), path),
            boundary=load_boundary(data.get("boundary"), base, path),
            max_fix_age_s=float(data.get("trackers", {}).get("max_fix_age_s", 120.0)),
            max_report_age_s=float(uplink.get("max_report_age_s", 86400.0)),
            max_report_ahead_s=float(uplink.get("max_report_ahead_s", 300.0)),
            rejected_sample=int(uplink.get("rejected_sample", 20)),
            rejected_rate_per_s=float(uplink.get("rejected_rate_per_s", 1.0)),
            rejected_burst=int(uplink.get("rejected_burst", 30)),
            one_cpu=_bool(data.get("process", {}).get("one_cpu", True), "[process] one_cpu"),
            rubric=base / rubric if rubric else None,
            notify=load_notify(data.get("notify"), base, path),
            **_rollcall(data.get("rollcall", {})),
            releases_dir=p("fleet", "releases", "releases"),
            release_key=p("fleet", "release_key", "../release/release.pub"),
            release_url=str(data.get("fleet", {}).get("url", "")),
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: {e}") from None
    _check_ranges(config, path)
    return config


def _rollcall(section: dict[str, Any]) -> dict[str, Any]:
    """[rollcall]: `schedule` (false), `times_per_day` (2), `windows` (Beijing "HH:MM-HH:MM"
    strings), `units` (all tier-1), `answer_s` (180), `expire_s` (600). A bad value raises
    ValueError (named by the caller with the file); unknown units are named when the hub
    is built with its registry."""
    windows = section.get("windows")
    units = section.get("units", [])
    try:
        if windows is not None and not isinstance(windows, list):
            raise ValueError('windows must be a list such as ["08:30-11:30"]')
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise ValueError('units must be a list of unit ids such as ["tuodian-gov"]')
        return {
            "rollcall": Schedule(
                enabled=bool(section.get("schedule", False)),
                times_per_day=int(section.get("times_per_day", 2)),
                units=tuple(units),
                **({"windows": tuple(parse_window(str(w)) for w in windows)} if windows else {}),
            ),
            "rollcall_times": RollcallTimes(
                answer_s=float(section.get("answer_s", 180.0)),
                expire_s=float(section.get("expire_s", 600.0)),
            ),
        }
    except (TypeError, ValueError) as e:
        raise ValueError(f"[rollcall] {e}") from None


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def with_proxies(config: HubConfig, extra: tuple[str, ...]) -> HubConfig:
    """`config` with `extra` proxies trusted too (`liandong-hub serve --trusted-proxy`, which
    the installed service uses for its nginx, so hub.toml stays as init wrote it)."""
    added = _proxies(list(extra), Path("--trusted-proxy"))
    return replace(config, trusted_proxies=tuple(dict.fromkeys(config.trusted_proxies + added)))


def _proxies(value: Any, where: Path) -> tuple[str, ...]:
    """The proxies whose X-Forwarded-For the console believes: IP addresses, nothing else."""
    if not isinstance(value, list):
        raise ConfigError(f"{where}: [http] trusted_proxies must be a list of IP addresses")
    try:
        return tuple(str(ipaddress.ip_address(str(v))) for v in value)
    except ValueError as e:
        raise ConfigError(f"{where}: [http] trusted_proxies: {e}") from None


def _check_ranges(c: HubConfig, where: Path) -> None:
    """Numbers that parse but cannot work (a window of 0 sends nothing) are named here."""
    future, age = c.intake_window.max_future_s, c.intake_window.max_age_days
    checks = [
        ("[http] listen port", c.listen_port, 0 <= c.listen_port <= 65535, "0..65535"),
        ("[mqtt] port", c.mqtt.port, 1 <= c.mqtt.port <= 65535, "1..65535"),
        ("[mqtt] keepalive", c.mqtt.keepalive, 1 <= c.mqtt.keepalive <= 65535, "1..65535 s"),
        ("[presence] stale_after_s", c.stale_after_s, c.stale_after_s > 0, "above 0"),
        ("[trackers] arrival_radius_m", c.arrival_radius_m, c.arrival_radius_m > 0, "above 0"),
        ("[delivery] window", c.window, c.window >= 1, "at least 1"),
        # bounded so the window's arithmetic cannot overflow a datetime
        ("[intake] max_future_s", future, 0 < future <= 86400, "above 0, at most 86400 s"),
        ("[intake] max_age_days", age, 0 < age <= 3660, "above 0, at most 3660 days"),
        ("[trackers] max_fix_age_s", c.max_fix_age_s, c.max_fix_age_s > 0, "above 0"),
        ("[uplink] max_report_age_s", c.max_report_age_s, c.max_report_age_s > 0, "above 0"),
        (
            "[uplink] max_report_ahead_s",
            c.max_report_ahead_s,
            c.max_report_ahead_s >= 0,
            "0 or more",
        ),
        ("[uplink] rejected_sample", c.rejected_sample, c.rejected_sample >= 1, "at least 1"),
        (
            "[uplink] rejected_rate_per_s",
            c.rejected_rate_per_s,
            c.rejected_rate_per_s > 0,
            "above 0",
        ),
        ("[uplink] rejected_burst", c.rejected_burst, c.rejected_burst >= 1, "at least 1"),
    ]
    for name, value, ok, want in checks:
        if not ok:
            raise ConfigError(f"{where}: {name} must be {want}, not {value!r}")
