"""Typed reading of one TOML table, collecting every problem with its line.

The loader reads each table through a `Fields`: every getter checks presence and type and
records a problem on the key's line instead of raising, so one run reports every mistake
in the file, and `finish()` names the keys nobody asked for (a misspelt key is otherwise
silently ignored and its default used).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar, cast

from hub.registry.locate import Block, SourceMap
from hub.registry.model import RegistryError
from wire.errors import WireError
from wire.ids import check_name
from wire.limits import MAX_SHORT

T = TypeVar("T")

_PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{2,24}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # what `wire.kinds.PrintLine` refuses

_TOML_TYPE = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "an array",
    dict: "a table",
}


def shown(value: object) -> str:
    """`value` as it would be written in TOML, so the message matches what is in the file."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return repr(value)


def toml_type(value: object) -> str:
    """How TOML would call the type of `value`, for messages."""
    for py, name in _TOML_TYPE.items():
        if type(value) is py:
            return name
    return type(value).__name__


class Problems:
    """Every problem found in one file; raised together, sorted by line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._items: list[tuple[int, str]] = []

    def add(self, line: int | None, text: str) -> None:
        self._items.append((line or 0, text))

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        if not self._items:
            return
        lines = []
        for line, text in sorted(self._items, key=lambda item: item[0]):
            where = f"{self.filename} line {line}" if line else self.filename
            lines.append(f"{where}: {text}")
        raise RegistryError(lines)


class Fields:
    """One table of the document, read key by key."""

    def __init__(
        self,
        table: dict[str, Any],
        block: Block,
        label: str,
        smap: SourceMap,
        problems: Problems,
    ) -> None:
        self.table = table
        self.block = block
        self.label = label  # 'unit "fire"', '[county]', '[[units]] entry 3'
        self.smap = smap
        self.problems = problems
        self.ok = True
        self._asked: set[str] = set()

    def line(self, key: str | None = None) -> int | None:
        return self.smap.line_of(self.block, key)

    def problem(self, key: str | None, text: str) -> None:
        self.ok = False
        self.problems.add(self.line(key), f"{self.label}: {text}")

    def value(self, key: str, kind: type[T], required: bool, expected: str) -> T | None:
        """The value of `key` if present and of type `kind`, else None (problem recorded)."""
        self._asked.add(key)
        if key not in self.table:
            if required:
                self.problem(None, f"missing key {shown(key)} ({expected})")
            return None
        value = self.table[key]
        # bool is an int in Python but not in TOML; ints are fine where a number is wanted
        fits = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and type(value) is int:
            fits = True
        if not fits:
            self.problem(key, f"{key} must be {expected}, not {toml_type(value)} {shown(value)}")
            return None
        return cast(T, value)

    def text(self, key: str, required: bool = True) -> str | None:
        """A name: not blank, short enough to travel in an order (`wire.limits`), and with
        no control character (TOML's `\\t` or `\\u001b`), which no order could carry."""
        value = self.value(key, str, required, "a string")
        if value is not None and not value.strip():
            self.problem(key, f"{key} must not be empty")
            return None
        if value is not None and len(value) > MAX_SHORT:
            self.problem(key, f"{key} is {len(value)} characters; at most {MAX_SHORT} fit an order")
            return None
        if value is not None and (bad := _CONTROL_RE.search(value)):
            code = ord(bad.group())
            self.problem(
                key, f"{key} holds the control character U+{code:04X}; no order can carry it"
            )
            return None
        return value

    def ident(self, key: str, what: str, required: bool = True) -> str | None:
        """A wire id (`wire.ids.check_name`): it ends up in topics, certificates and SQL."""
        value = self.value(key, str, required, "a string id")
        if value is None:
            return None
        try:
            return check_name(value, what)
        except WireError as e:
            self.problem(key, str(e))
            return None

    def flag(self, key: str, default: bool | None = None) -> bool | None:
        value = self.value(key, bool, default is None, "true or false")
        return default if value is None and key not in self.table else value

    def integer(
        self, key: str, low: int, high: int, *, default: int | None = None, required: bool = True
    ) -> int | None:
        """A whole number in [low, high]; when absent, `default` (a problem if required and
        there is no default)."""
        expected = f"a whole number from {low} to {high}"
        value = self.value(key, int, required and default is None, expected)
        if value is None:
            return default if key not in self.table else None
        if not low <= value <= high:
            self.problem(key, f"{key} must be {expected}, not {value}")
            return None
        return value

    def number(self, key: str, low: float, high: float, required: bool = True) -> float | None:
        expected = f"a number from {low:g} to {high:g}"
        value = self.value(key, float, required, expected)
        if value is None:
            return None
        if not low <= value <= high:
            self.problem(key, f"{key} must be {expected}, not {value}")
            return None
        return float(value)

    def choice(self, key: str, options: tuple[str, ...]) -> str | None:
        expected = "one of " + ", ".join(f'"{o}"' for o in options)
        value = self.value(key, str, True, expected)
        if value is not None and value not in options:
            self.problem(key, f"{key} must be {expected}, not {shown(value)}")
            return None
        return value

    def phone(self, key: str) -> str | None:
        """One optional phone number (a leader's mobile): digits, spaces and hyphens."""
        value = self.value(key, str, False, "a phone number")
        if value is not None and not _PHONE_RE.fullmatch(value):
            self.problem(key, f'{key}: {shown(value)} is not a phone number (e.g. "139-0878-0001")')
            return None
        return value

    def phones(
        self, key: str, required: bool = True, what: str = "duty phone number"
    ) -> tuple[str, ...] | None:
        value = self.value(key, list, required, "an array of phone numbers")
        if value is None:
            return None
        if not value:
            self.problem(key, f"{key} must name at least one {what}")
            return None
        bad = [p for p in value if not isinstance(p, str) or not _PHONE_RE.fullmatch(p)]
        if bad:
            self.problem(
                key,
                f"{key}: {shown(bad[0])} is not a phone number (digits, spaces and hyphens, "
                'e.g. "0878-7712345")',
            )
            return None
        return tuple(value)

    def finish(self, extra_known: tuple[str, ...] = ()) -> None:
        """Report the keys of the table that no getter asked for."""
        for key in self.table:
            if key not in self._asked and key not in extra_known:
                known = ", ".join(sorted(self._asked | set(extra_known)))
                self.problem(key, f"unknown key {shown(key)} (known keys: {known})")
