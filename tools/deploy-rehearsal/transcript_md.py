"""The rehearsal's transcript.txt made fit for docs/deployment-transcript.md.

`python3 transcript_md.py transcript.txt` prints the transcript with what must not be
published, or cannot be read, taken out; nothing else is changed:
- the intake key (the 64 hex digits after `intake-key`) and the admin's one-time password
  (the line after `one-time password:`) become a marker: they are live secrets of the VM;
- apt's and git's progress lines, redrawn with carriage returns, keep only what was drawn
  last;
- an output longer than LONG lines keeps its first HEAD and last TAIL lines, with a marker
  saying how many were left out (apt-get and pip print hundreds).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LONG, HEAD, TAIL = 40, 8, 20
KEY = re.compile(r"^\s+[0-9a-f]{64}\s*$")
COMMAND = re.compile(r"^(hub|terminal)# |^host\$ |^== ")


def _drawn_last(line: str) -> str:
    """What a terminal shows of a line redrawn with carriage returns."""
    if "\r" not in line:
        return line
    parts = [p for p in line.split("\r") if p.strip()]
    if not parts:
        return line.replace("\r", "")
    indent = line[: len(line) - len(line.lstrip(" "))]  # the transcript's two spaces
    return indent + parts[-1].lstrip(" ")


def _secrets(lines: list[str]) -> list[str]:
    out: list[str] = []
    after_key_command = after_otp_prompt = False
    for line in lines:
        shown = line
        if after_key_command and KEY.match(line):
            shown = "  <the intake key: 64 hex digits, not reproduced>"
        elif after_otp_prompt and line.strip():
            shown = "  <the one-time password, not reproduced>"
        after_key_command = bool(re.search(r"# .*intake-key ", line)) or (
            after_key_command and not line.strip()
        )
        after_otp_prompt = "one-time password:" in line
        out.append(shown)
    return out


def _shorten(lines: list[str]) -> list[str]:
    """Each command's output, cut to its head and tail when it is long."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if len(block) > LONG:
            left = len(block) - HEAD - TAIL
            out.extend([*block[:HEAD], f"  ... ({left} lines left out)", *block[-TAIL:]])
        else:
            out.extend(block)
        block.clear()

    for line in lines:
        if COMMAND.match(line):
            flush()
            out.append(line)
        else:
            block.append(line)
    flush()
    return out


def render(text: str) -> str:
    """The transcript as published: secrets marked, progress redraws and long outputs cut."""
    lines = [_drawn_last(line) for line in text.split("\n")]
    return "\n".join(_shorten(_secrets(lines)))


if __name__ == "__main__":
    # bytes, not read_text: universal newlines would turn each redraw into a line of its own
    sys.stdout.write(render(Path(sys.argv[1]).read_bytes().decode("utf-8", errors="replace")))
