"""The API's one JSON reader: whatever the body, a named field error, never a 500.

Python's `json.loads` is lenient in ways that reached our handlers as crashes or guesses:
an integer of more than 4,300 digits raises a plain ValueError (not JSONDecodeError); one
of a few hundred digits parses, then overflows `float()` or SQLite; `\\ud800` gives a
string that UTF-8 and SQLite refuse; `NaN` and `Infinity` are accepted; and of two equal
keys the last silently wins, so a record could mean something its sender never checked.
Here numbers and constants the parser meets become markers, one walk afterwards names the
path of each (`lat`, `orders[2].note`), and a repeated key stops the parse naming the key.
Every problem is an IntakeError, which the API answers as 422 with the fields.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hub.dispatch.text import surrogate_problem
from hub.errors import IntakeError

MAX_INT_DIGITS = 18
"""Longer integers fit no field (and not SQLite's 64 bits); refused before `int()` runs."""
MAX_NAMED = 20
"""At most this many problems are named in one answer: a 64 KiB body could list thousands."""


class _Bad:
    """A value the parser met that no field can take; the walk names where it was."""

    __slots__ = ("message",)

    def __init__(self, zh: str, en: str) -> None:
        self.message = (zh, en)


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _int(text: str) -> int | _Bad:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Bad(
            f"数字有 {digits} 位，最多 {MAX_INT_DIGITS} 位",
            f"a number of {digits} digits; at most {MAX_INT_DIGITS} digits",
        )
    return int(text)


def _float(text: str) -> float | _Bad:
    value = float(text)
    if not math.isfinite(value):
        return _Bad("数值超出范围", f"the number {text[:20]} is out of range")
    return value


def _constant(name: str) -> _Bad:
    return _Bad(f"{name} 不是 JSON 数字", f"{name} is not a JSON number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Repeated(key)
        obj[key] = value
    return obj


def _problems(data: Any) -> dict[str, tuple[str, str]]:
    """Every marker and surrogate in `data`, by path; iterative, so depth costs no stack."""
    found: dict[str, tuple[str, str]] = {}
    todo: list[tuple[str, Any]] = [("", data)]
    while todo and len(found) < MAX_NAMED:
        path, value = todo.pop()
        if isinstance(value, _Bad):
            found[path or "body"] = value.message
        elif isinstance(value, str):
            bad = surrogate_problem(value)
            if bad is not None:
                found[path or "body"] = bad
        elif isinstance(value, dict):
            for key, item in value.items():
                bad = surrogate_problem(key)
                if bad is not None:  # a name that cannot be echoed back: say where it was
                    found[path or "body"] = (f"字段名：{bad[0]}", f"a key: {bad[1]}")
                    continue
                todo.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            todo.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return found


def load(body: bytes) -> Any:
    """Parse a request body strictly; an empty body is `{}` (an action with no fields)."""
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IntakeError(
            {"body": (f"不是 UTF-8（第 {e.start} 字节）", f"not UTF-8 (byte {e.start})")}
        ) from None
    try:
        data = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except _Repeated as e:
        # a key that is not valid Unicode cannot be echoed back as a field name
        name = "body" if surrogate_problem(e.key) else e.key
        raise IntakeError({name: ("有字段重复出现", "a key is given more than once")}) from None
    except json.JSONDecodeError as e:
        raise IntakeError(
            {"body": (f"不是 JSON：第 {e.pos} 个字符", f"not JSON: {e.msg} at character {e.pos}")}
        ) from None
    except RecursionError:
        raise IntakeError({"body": ("嵌套过深", "nested too deeply")}) from None
    problems = _problems(data)
    if problems:
        raise IntakeError(problems)
    return data


def load_object(body: bytes) -> dict[str, Any]:
    """`load`, and the body must be a JSON object."""
    data = load(body)
    if not isinstance(data, dict):
        raise IntakeError({"body": ("须为 JSON 对象", "must be a JSON object")})
    return data
