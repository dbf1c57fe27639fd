"""The README's deployment commands, read from README.md itself so the rehearsal and the
README cannot drift apart.

README.md's "Deployment sketch" has one fenced block of commands: a line that does not
start with `#` is a command (a trailing backslash continues it), and the `#   ` lines
after it are what it prints. `python3 readme_steps.py README.md` prints the commands as
JSON: [{"command": ..., "expected": [...]}, ...].
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SECTION = "## Deployment sketch"


def blocks(text: str) -> list[list[str]]:
    """The fenced code blocks of the README's deployment section, as lists of lines."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    body = text[start : end if end >= 0 else len(text)].splitlines()
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in body:
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                found.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return found


def steps(text: str) -> list[dict[str, object]]:
    """Each command of the block that has commands (the one with `apt-get`) and its output."""
    block = next(b for b in blocks(text) if any("apt-get install" in line for line in b))
    out: list[dict[str, object]] = []
    outputs: list[list[str]] = []
    pending = ""
    for line in block:
        if pending:
            pending += "\n" + line
            if not line.endswith("\\"):
                outputs.append([])
                out.append({"command": pending, "expected": outputs[-1]})
                pending = ""
            continue
        if line.startswith("#"):
            if not out:
                raise ValueError(f"README.md: output line before any command: {line!r}")
            outputs[-1].append(line[1:].strip())
        elif line.strip():
            if line.endswith("\\"):
                pending = line
            else:
                outputs.append([])
                out.append({"command": line, "expected": outputs[-1]})
    if pending:
        raise ValueError("README.md: the last command ends with a backslash")
    return out


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    json.dump(steps(readme.read_text(encoding="utf-8")), sys.stdout, ensure_ascii=False, indent=1)
    print()
