"""What must never show on a Chinese screen: codes, keys, UTC stamps, float noise, and
English that a catalog should have translated.

Shared by the console's page walker and the kiosk's browser test. Each check names what
it found and the page, so a failure says which screen and which word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SNAKE = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
"""`password_change`, `result_code`, `fed_back`: a stored code, not a word."""
ISO_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]00:00\b|\d\d:\d\d:\d\d\.\d{3,}")
"""`2026-12-01T21:16:52`, `+00:00`, `21:16:52.553916`: a raw stored time."""
LONG_FLOAT = re.compile(r"\d+\.\d{7,}")
"""`24.225981666666666`: a position or a duration as the float it is stored as."""
STATUS_WORDS = (
    "dispatched", "received", "acknowledged", "arrived", "closed", "cancelled", "reassigned",
    "open", "ok", "unknown", "offline", "online", "lead", "assist", "operator", "supervisor",
    "auditor", "admin", "intake", "engine", "resolved", "referred", "unable", "button",
    "kiosk", "tracker", "login", "logout", "refused", "invalid", "forbidden", "pending",
    "overdue", "deadline", "drill", "note", "incident", "order", "via", "rev", "cli",
    "None", "null", "true", "false", "True", "False", "nan",
)  # fmt: skip
"""Stored values that have a Chinese word: seen bare, the page skipped its translation."""
_STATUS = re.compile(r"(?<![\w./:@-])(" + "|".join(STATUS_WORDS) + r")(?![\w-])")

COLLECT_JS = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('option, input[type=submit], button')) {
    parts.push(el.textContent || el.value || '');
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
    for (const a of ['title', 'aria-label', 'placeholder']) {
      if (el.hasAttribute(a)) parts.push(el.getAttribute(a));
    }
  }
  return parts.join('\\n');
}"""
"""What a person can read on the page: its text, buttons, options and tooltips."""


def visible_text(page: Any) -> str:
    """The readable text of a Playwright page (`COLLECT_JS`)."""
    return str(page.evaluate(COLLECT_JS))


def english_phrases(msgids: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for catalog English that would show untranslated: each msgid's longest
    literal run (placeholders cut out) of at least two words or eight letters."""
    found = []
    for msgid in msgids:
        for chunk in sorted(re.split(r"%\(\w+\)[sd]|%[sd]", msgid), key=len, reverse=True):
            chunk = chunk.strip(" .:,;()—-")
            words = re.findall(r"[A-Za-z]+", chunk)
            if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 8):
                if words and len(chunk) >= 6:
                    found.append(re.compile(r"(?<![\w-])" + re.escape(chunk) + r"(?![\w-])"))
                break
    return found


def code_problems(text: str) -> list[str]:
    """What is wrong on a page in any language: codes, raw stored times, float noise."""
    found = [f"key {m}" for m in SNAKE.findall(text)]
    found += [f"raw time {m}" for m in ISO_STAMP.findall(text)]
    found += [f"raw float {m}" for m in LONG_FLOAT.findall(text)]
    return found


def problems(text: str, english: Iterable[re.Pattern[str]] = ()) -> list[str]:
    """Everything on a Chinese page that is a code, a raw time or float, or untranslated."""
    found = code_problems(text)
    found += [f"status word {m}" for m in _STATUS.findall(text)]
    found += [f"untranslated {p.pattern}" for p in english if p.search(text)]
    return sorted(set(found))
