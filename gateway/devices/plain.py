"""Words from outside made plain for paper and screen: no control characters.

An order's text comes from intake (a 110 summary, an operator's note, an address). To an
ESC/POS printer the bytes 0x00-0x1F are commands, not text: ESC @ resets it, GS V cuts,
ESC { prints upside down, ESC t switches the code page, DLE DC4 pulses the drawer or
buzzer. The hub refuses control characters at intake; this is the terminal's own guard for
anything that still arrives (an older hub, a field that is not checked, a bug), so that the
only commands a printer ever gets are the ones our layout sends, and the kiosk shows
nothing that the page would draw oddly.

Removed: C0 controls, DEL, C1 controls, lone surrogates (no encoding can carry them), and
the bidirectional overrides and isolates (they make a line read differently from what it
holds). A tab becomes a space. Line breaks (LF, CR, CRLF, U+2028, U+2029) separate lines:
`lines()` keeps them as separate lines and drops empty ones (a summary of a thousand
newlines must not feed metres of paper); `one_line()` joins them with a space.
"""

from __future__ import annotations

import re

_BREAK = re.compile("\r\n|[\r\n\u2028\u2029]")
_DROP = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _clean(line: str) -> str:
    return _DROP.sub("", line.replace("\t", " ")).rstrip()


def lines(text: str) -> list[str]:
    """The non-empty lines of a text, each free of control characters."""
    return [c for c in (_clean(part) for part in _BREAK.split(text)) if c.strip()]


def one_line(text: str) -> str:
    """A text as one line free of control characters (line breaks become a space)."""
    return " ".join(lines(text))


def block(text: str) -> str:
    """A text free of control characters, its lines joined by newlines (for a screen)."""
    return "\n".join(lines(text))
