"""The udev rules: every line parses, and a small evaluator of the rule subset we use shows
which device gets which stable name (udev itself reads them: test_udevadm_parse.py)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.firmware.conftest import FIRMWARE, Bundle, run_install

PAIR = re.compile(r'\s*([A-Z]+(?:\{[A-Za-z0-9_]+\})?)\s*(==|!=|\+=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTRS", "ENV"}
ASSIGN_KEYS = {"ENV", "SYMLINK", "GROUP", "MODE", "GOTO", "LABEL"}


@dataclass
class Pair:
    key: str
    arg: str
    op: str
    value: str


def parse_rules(text: str, name: str = "rules") -> list[list[Pair]]:
    """Each rule line as KEY[{arg}] op "value" pairs; anything else is an error."""
    rules: list[list[Pair]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs, pos = [], 0
        while pos < len(line):
            m = PAIR.match(line, pos)
            assert m, f"{name}:{n}: cannot parse at {line[pos:]!r}"
            full, op, value = m.groups()
            key, _, arg = full.partition("{")
            pairs.append(Pair(key, arg.rstrip("}"), op, value))
            pos = m.end()
        for p in pairs:
            if p.op in ("==", "!="):
                assert p.key in MATCH_KEYS, f"{name}:{n}: {p.key} cannot be matched"
            else:
                assert p.key in ASSIGN_KEYS, f"{name}:{n}: {p.key} cannot be assigned"
            assert (p.key in ("ATTRS", "ENV")) == bool(p.arg), f"{name}:{n}: {p.key}{{}} misuse"
        is_label = any(p.key == "LABEL" for p in pairs)
        assert not is_label or len(pairs) == 1, f"{name}:{n}: LABEL stands alone"
        assert is_label or any(p.op in ("==", "!=") for p in pairs), f"{name}:{n}: matches nothing"
        rules.append(pairs)
    gotos = {p.value for r in rules for p in r if p.key == "GOTO"}
    labels = {p.value for r in rules for p in r if p.key == "LABEL"}
    assert gotos <= labels, f"{name}: GOTO without LABEL: {gotos - labels}"
    return rules


@dataclass
class Device:
    kernel: str
    attrs: dict[str, str] = field(default_factory=dict)
    subsystem: str = "tty"
    action: str = "add"


def usb(kernel: str, vid: str, pid: str, serial: str | None = None) -> Device:
    attrs = {"idVendor": vid, "idProduct": pid}
    if serial:
        attrs["serial"] = serial
    return Device(kernel, attrs)


def symlinks(files: list[list[list[Pair]]], dev: Device) -> list[str]:
    """Run the rules the way udev does for this subset: files in order, ENV carried over."""
    env: dict[str, str] = {}
    links: list[str] = []
    for rules in files:
        goto = None
        for pairs in rules:
            if goto is not None:
                if pairs[0].key == "LABEL" and pairs[0].value == goto:
                    goto = None
                continue
            if not all(_matches(p, dev, env) for p in pairs if p.op in ("==", "!=")):
                continue
            for p in pairs:
                if p.key == "ENV" and p.op == "=":
                    env[p.arg] = p.value
                elif p.key == "SYMLINK":
                    links += [p.value] if p.op == "+=" else []
                elif p.key == "GOTO":
                    goto = p.value
    return links


def _matches(p: Pair, dev: Device, env: dict[str, str]) -> bool:
    actual = {
        "ACTION": dev.action,
        "SUBSYSTEM": dev.subsystem,
        "KERNEL": dev.kernel,
        "ATTRS": dev.attrs.get(p.arg),
        "ENV": env.get(p.arg, ""),
    }[p.key]
    hit = actual is not None and fnmatch.fnmatchcase(actual, p.value)
    return hit if p.op == "==" else not hit


def installed_rules(root: Path) -> list[list[list[Pair]]]:
    folder = root / "etc/udev/rules.d"
    return [parse_rules(f.read_text(), f.name) for f in sorted(folder.glob("*liandong*.rules"))]


def test_shipped_rules_parse() -> None:
    rules = parse_rules((FIRMWARE / "udev/99-liandong.rules").read_text(), "99-liandong.rules")
    assert len(rules) > 10


def test_parser_rejects_what_udev_would() -> None:
    for bad in ['KERNEL=="tty*" SYMLINK+="x"', 'FOO=="1", SYMLINK+="x"', 'SYMLINK=="x"',
                'KERNEL=="ttyS0", GOTO="nowhere"', 'SYMLINK+="alone"']:  # fmt: skip
        with pytest.raises(AssertionError):
            parse_rules(bad)


def test_default_names_by_chip(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root)
    files = installed_rules(pi_root)
    assert len(files[0]) == 0, "98-local has no rules without device flags"
    assert symlinks(files, usb("ttyUSB0", "1a86", "7523")) == ["ld-printer"]
    assert symlinks(files, usb("ttyUSB0", "10c4", "ea60")) == ["ld-printer"]
    assert symlinks(files, usb("ttyACM0", "1546", "01a8")) == ["ld-gps"]
    assert symlinks(files, usb("ttyUSB1", "1234", "5678")) == []
    assert symlinks(files, Device("ttyAMA0")) == [], "the UART is not the GPS unless told"
    gone = usb("ttyUSB0", "1a86", "7523")
    gone.action = "remove"
    assert symlinks(files, gone) == []
    not_tty = usb("1-1.2", "1a86", "7523")
    not_tty.subsystem = "usb"
    assert symlinks(files, not_tty) == []
    usb_class = Device("lp0", subsystem="usbmisc")  # /dev/usb/lp0 under usblp
    assert symlinks(files, usb_class) == ["ld-printer"]
    assert symlinks(files, Device("hiddev0", subsystem="usbmisc")) == []


def test_installer_names_the_actual_devices(bundle: Bundle, pi_root: Path) -> None:
    """A BU-353S4 GPS and a printer on the same PL2303 chip, told apart by serial number."""
    run_install(
        bundle.path, pi_root, "--gps-usb", "067B:2303:GPS0001", "--printer-usb", "1a86:7523"
    )
    files = installed_rules(pi_root)
    assert symlinks(files, usb("ttyUSB0", "067b", "2303", "GPS0001")) == ["ld-gps"]
    assert symlinks(files, usb("ttyUSB1", "067b", "2303", "PRN42")) == ["ld-printer"]
    assert symlinks(files, usb("ttyUSB2", "1a86", "7523")) == ["ld-printer"]

    run_install(bundle.path, pi_root, "--gps", "uart")
    files = installed_rules(pi_root)
    assert symlinks(files, Device("ttyAMA0")) == ["ld-gps"]
    assert symlinks(files, usb("ttyUSB0", "067b", "2303", "GPS0001")) == ["ld-printer"]
