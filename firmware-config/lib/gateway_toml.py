"""Adjust a provisioning bundle's gateway.toml for the terminal it is installed on.

Runs under the system python3 of Raspberry Pi OS bookworm (3.11, standard library only),
because install.sh uses it before the project's own virtualenv exists. The file is edited
line by line rather than re-serialised so the comments `liandong-provision enroll` wrote stay
for the next person who opens it; the result is parsed again with tomllib and checked, so a
bundle the installer cannot understand is refused instead of half-installed.

Usage: gateway_toml.py SRC DEST --pins PINS.toml [--set TABLE.KEY=TOML_VALUE ...]
       [--unset TABLE.KEY ...] [--drop TABLE]
Prints `key=value` lines (unit id, county, ...) for the installer's summary.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

PIN_KEYS = ("buzzer", "light", "ack_button", "arrive_button")
# BCM 14/15 are the UART (GPS), 0/1 the HAT EEPROM bus; the 40-pin header stops at 27.
RESERVED_PINS = {0, 1, 14, 15}
REQUIRED = {"unit": ("id", "county"), "mqtt": ("host", "port", "ca", "cert", "key", "hub_key")}
HEADER = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$")


class BundleError(Exception):
    """The gateway.toml (or the pin map) cannot be installed as it is."""


def _split_value(rest: str) -> tuple[str, str]:
    """Split what follows `key =` into (value, trailing comment) for one-line scalars."""
    text = rest.strip()
    if text.startswith(('"', "'")):
        quote, i = text[0], 1
        while i < len(text) and text[i] != quote:
            i += 2 if quote == '"' and text[i] == "\\" else 1
        if i >= len(text):
            raise BundleError(f"unterminated string: {rest.strip()}")
        value, tail = text[: i + 1], text[i + 1 :]
    else:
        value, sep, comment = text.partition("#")
        value, tail = value.strip(), sep + comment
        if value.startswith(("[", "{")):
            raise BundleError(f"cannot edit a compound value: {text}")
    tail = tail.strip()
    if tail and not tail.startswith("#"):
        raise BundleError(f"cannot edit a multi-line or compound value: {rest.strip()}")
    return value, tail


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(table name, first body line, end line) for every [table]; "" is the top level."""
    marks = [("", 0)]
    for n, line in enumerate(lines):
        m = HEADER.match(line)
        if m:
            marks.append((m.group(1), n + 1))
    return [
        (name, start, marks[i + 1][1] - 1 if i + 1 < len(marks) else len(lines))
        for i, (name, start) in enumerate(marks)
    ]


def set_value(lines: list[str], table: str, key: str, value: str) -> list[str]:
    """Set TABLE.KEY to a TOML literal, keeping the line's comment; add what is missing."""
    line_re = re.compile(rf"^(\s*){re.escape(key)}\s*=(.*)$")
    for name, start, end in _sections(lines):
        if name != table:
            continue
        for n in range(start, end):
            m = line_re.match(lines[n])
            if m:
                _, comment = _split_value(m.group(2))
                lines[n] = f"{m.group(1)}{key} = {value}" + (f"  {comment}" if comment else "")
                return lines
        insert_at = end
        while insert_at > start and not lines[insert_at - 1].strip():
            insert_at -= 1
        lines.insert(insert_at, f"{key} = {value}")
        return lines
    if lines and lines[-1].strip():
        lines.append("")
    lines += [f"[{table}]", f"{key} = {value}"]
    return lines


def unset_value(lines: list[str], table: str, key: str) -> list[str]:
    """Remove TABLE.KEY's line (a one-line value) if it is there."""
    line_re = re.compile(rf"^\s*{re.escape(key)}\s*=(.*)$")
    for name, start, end in _sections(lines):
        if name == table:
            for n in range(start, end):
                m = line_re.match(lines[n])
                if m:
                    _split_value(m.group(1))  # refuses a multi-line value
                    return lines[:n] + lines[n + 1 :]
    return lines


def drop_table(lines: list[str], table: str) -> list[str]:
    """Remove [TABLE] and its keys (the comment lines just above it go with it)."""
    for name, start, end in _sections(lines):
        if name == table:
            first = start - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            return lines[:first] + lines[end:]
    return lines


def load_pins(path: Path) -> dict[str, int]:
    """Read and check a [pins] table: all four keys, distinct BCM GPIO numbers 2..27."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("pins")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"pin map {path}: {exc}") from exc
    if not isinstance(table, dict) or set(table) != set(PIN_KEYS):
        raise BundleError(f"pin map {path}: [pins] must have exactly {', '.join(PIN_KEYS)}")
    pins: dict[str, int] = {}
    for key in PIN_KEYS:
        pin = table[key]
        if type(pin) is not int or not 2 <= pin <= 27 or pin in RESERVED_PINS:
            raise BundleError(f"pin map {path}: {key} = {pin!r} is not a free BCM GPIO (2-27)")
        pins[key] = pin
    if len(set(pins.values())) != len(pins):
        raise BundleError(f"pin map {path}: two functions share a pin: {pins}")
    return pins


def check(doc: dict[str, Any], folder: Path, expected: dict[tuple[str, str], Any]) -> None:
    """Refuse a config the gateway could not run with, before anything is installed."""
    for table, keys in REQUIRED.items():
        section = doc.get(table)
        if not isinstance(section, dict):
            raise BundleError(f"gateway.toml has no [{table}] table")
        missing = [k for k in keys if k not in section]
        if missing:
            raise BundleError(f"gateway.toml [{table}] lacks {', '.join(missing)}")
    for key in ("ca", "cert", "hub_key"):
        name = doc["mqtt"][key]
        if not isinstance(name, str) or "/" in name or not (folder / name).is_file():
            raise BundleError(f"gateway.toml [mqtt] {key} = {name!r}: no such file in the bundle")
    for (table, key), value in expected.items():
        if doc.get(table, {}).get(key) != value:
            raise BundleError(f"could not set {table}.{key} in gateway.toml")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--pins", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], metavar="TABLE.KEY=VALUE")
    ap.add_argument("--unset", action="append", default=[], metavar="TABLE.KEY")
    ap.add_argument("--drop", action="append", default=[], metavar="TABLE")
    args = ap.parse_args(argv)
    try:
        text = args.src.read_text(encoding="utf-8")
        tomllib.loads(text)
        lines = text.splitlines()
        expected: dict[tuple[str, str], Any] = {}
        edits = [f"pins.{k}={v}" for k, v in load_pins(args.pins).items()] + args.set
        for edit in edits:
            dotted, _, literal = edit.partition("=")
            table, _, key = dotted.rpartition(".")
            if not table or not key or not literal:
                raise BundleError(f"bad --set {edit!r}")
            expected[(table, key)] = tomllib.loads(f"v = {literal}")["v"]
            lines = set_value(lines, table, key, literal)
        for dotted in args.unset:
            table, _, key = dotted.rpartition(".")
            if not table or not key:
                raise BundleError(f"bad --unset {dotted!r}")
            lines = unset_value(lines, table, key)
        for table in args.drop:
            lines = drop_table(lines, table)
        out = "\n".join(lines) + "\n"
        doc = tomllib.loads(out)
        check(doc, args.src.parent, expected)
        for dotted in args.unset:
            table, _, key = dotted.rpartition(".")
            if key in doc.get(table, {}):
                raise BundleError(f"could not remove {dotted} from gateway.toml")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, BundleError) as exc:
        print(f"gateway.toml: {exc}", file=sys.stderr)
        return 2
    args.dest.write_text(out, encoding="utf-8")
    print(f"unit={doc['unit']['id']}")
    print(f"county={doc['unit']['county']}")
    print(f"broker={doc['mqtt']['host']}:{doc['mqtt']['port']}")
    print(f"key={doc['mqtt']['key']}")
    print(f"gps={'yes' if 'gps' in doc else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
