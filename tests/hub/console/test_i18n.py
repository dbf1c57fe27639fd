"""Translations: every message has Chinese, and the shipped .mo is the compiled .po."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import hub
import hub.console
from hub.console.refusals import REFUSAL_CLASSES

CONSOLE = Path(hub.console.__file__).parent
CATALOG = CONSOLE / "translations" / "zh" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def _po() -> dict[str, object]:
    with (CATALOG / "messages.po").open("rb") as f:
        return {str(m.id): m.string for m in read_po(f) if m.id}


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = {
        msg[2]
        for msg in extract_from_dir(str(CONSOLE), method_map, keywords=KEYWORDS)
        if isinstance(msg[2], str)
    }
    assert found, "no messages extracted: the extraction itself is broken"
    po = _po()
    missing = sorted(m for m in found if not po.get(m))
    assert missing == [], f"untranslated: {missing} (see docs/console.md, Translations)"


def test_every_refusal_the_hub_raises_has_a_chinese_translation() -> None:
    """A refusal raised as `Conflict("template", ...)` anywhere in the hub is shown by the
    console through the catalog (hub/console/refusals.py): each template needs its Chinese."""
    keywords = {name: None for name in REFUSAL_CLASSES}
    found = {
        msg[2]
        for msg in extract_from_dir(
            str(Path(hub.__file__).parent), [("**.py", "python")], keywords=keywords
        )
        if isinstance(msg[2], str)
    }
    assert "no order %(order)s" in found, "the refusal extraction itself is broken"
    po = _po()
    missing = sorted(m for m in found if not po.get(m))
    assert missing == [], f"untranslated refusals: {missing} (docs/console.md, Translations)"


def test_the_mo_file_is_the_compiled_po() -> None:
    with (CATALOG / "messages.mo").open("rb") as f:
        mo = {str(m.id): m.string for m in read_mo(f) if m.id}
    assert mo == _po(), "messages.mo is stale: recompile it (docs/console.md, Translations)"


def test_placeholders_survive_translation() -> None:
    for msgid, text in _po().items():
        for name in ("%(max)d", "%(reason)s", "%(n)d", "%(name)s", "%(state)s", "%(unit)s"):
            assert (name in msgid) == (name in str(text)), msgid
        # A translation may leave out an id the page already names; it may not invent one.
        assert set(PLACEHOLDER.findall(str(text))) <= set(PLACEHOLDER.findall(msgid)), msgid
