"""Find the line of a table, an array-of-tables entry or a key in TOML source text.

`tomllib` returns plain dicts with no positions, so an error about the fifth `[[units]]`
entry could only say "the fifth unit". This scanner walks the text once and remembers where
each table header and each key sits, so registry errors can name a line the operator can
jump to. It tracks strings (basic, literal, multi-line), comments and brackets, so a `[`
inside an array value or a `key = value` inside a multi-line string is not taken for a
header or a key. It runs only on text `tomllib` has already accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A block is one table: ("", None) for the root, ("county", None) for `[county]`,
# ("units", 4) for the fifth `[[units]]` entry.
Block = tuple[str, int | None]
ROOT: Block = ("", None)

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY_PART = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER_RE = re.compile(rf"\s*(\[\[?)\s*({_DOTTED})\s*(\]\]?)\s*(?:#.*)?$")
_KEY_RE = re.compile(rf"\s*({_KEY_PART})\s*[.=]")


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part


def _dotted_name(text: str) -> str:
    parts = re.findall(_KEY_PART, text)
    return ".".join(_unquote(p) for p in parts)


@dataclass
class SourceMap:
    """Line numbers (1-based) of the tables and keys in one TOML document."""

    headers: dict[Block, int] = field(default_factory=dict)
    keys: dict[Block, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> SourceMap:
        smap = cls()
        scanner = _Scanner()
        block: Block = ROOT
        counts: dict[str, int] = {}
        for lineno, line in enumerate(text.splitlines(), start=1):
            if scanner.at_statement_start():
                header = _HEADER_RE.match(line)
                key = _KEY_RE.match(line)
                if header and (header.group(1) == "[[") == (header.group(3) == "]]"):
                    name = _dotted_name(header.group(2))
                    if header.group(1) == "[[":
                        index = counts.get(name, 0)
                        counts[name] = index + 1
                        block = (name, index)
                    else:
                        block = (name, None)
                    smap.headers.setdefault(block, lineno)
                    continue  # a header's brackets must not count as an open array
                if key:
                    smap.keys.setdefault(block, {}).setdefault(_unquote(key.group(1)), lineno)
            scanner.feed(line)
        return smap

    def line_of(self, block: Block, key: str | None = None) -> int | None:
        """The line of `key` in `block`; without a key, or when the key is not found (an
        inline table, say), the block's header line; None when neither is known."""
        if key is not None:
            found = self.keys.get(block, {}).get(key)
            if found is not None:
                return found
        if block in self.headers:
            return self.headers[block]
        # written inline (`units = [{...}]`, `county = {...}`): the line of that key
        return self.keys.get(ROOT, {}).get(block[0]) if block[0] else None


class _Scanner:
    """Tracks whether the next line starts a new statement: not inside a string or an
    open array or inline table."""

    def __init__(self) -> None:
        self.depth = 0
        self.multiline: str | None = None  # '"""' or "'''" while inside one

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.multiline is None

    def feed(self, line: str) -> None:
        i = 0
        n = len(line)
        while i < n:
            if self.multiline is not None:
                end = line.find(self.multiline, i)
                if self.multiline == '"""':
                    while end > 0 and _escaped(line, end):
                        end = line.find('"""', end + 1)
                if end < 0:
                    return
                i = end + 3
                while i < n and line[i] == self.multiline[0]:
                    i += 1  # up to two quotes may close the string with it
                self.multiline = None
                continue
            ch = line[i]
            if ch == "#":
                return
            if line.startswith('"""', i) or line.startswith("'''", i):
                self.multiline = line[i : i + 3]
                i += 3
                continue
            if ch in "\"'":
                i = _skip_string(line, i)
                continue
            if ch in "[{":
                self.depth += 1
            elif ch in "]}":
                self.depth = max(0, self.depth - 1)
            i += 1


def _escaped(line: str, pos: int) -> bool:
    backslashes = 0
    j = pos - 1
    while j >= 0 and line[j] == "\\":
        backslashes += 1
        j -= 1
    return backslashes % 2 == 1


def _skip_string(line: str, start: int) -> int:
    """Index just past the single-line string that opens at `start`."""
    quote = line[start]
    i = start + 1
    while i < len(line):
        if line[i] == quote and (quote == "'" or not _escaped(line, i)):
            return i + 1
        i += 1
    return i
