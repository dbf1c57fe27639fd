"""What text may hold when it comes in: no control characters, no broken Unicode.

Everything a sending system or an operator types can end up on a duty room's thermal
printer, and ESC/POS commands are ordinary control characters: ESC @ resets the printer,
GS V cuts, ESC { turns the print upside down, ESC t switches the code page, DLE DC4 pulses
a drawer. So intake refuses C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F), and
names the field and the character, rather than silently dropping them: the record would
then differ from what the caller's system holds. A multi-line field (a summary, a note, a
reason) keeps its line breaks; Windows and browser line ends (CR LF, a lone CR) become a
plain LF first, because they mean a newline and nothing else. Tabs are refused like any
other control character. Unpaired surrogates (U+D800-U+DFFF, which JSON's `\\ud800` escape
can produce) are refused too: they are not Unicode, and SQLite and UTF-8 cannot hold them.

`wire.kinds.PrintLine` / `PrintText` enforce the same rule on what the hub signs.
"""

from __future__ import annotations

import re

from hub.errors import IntakeError

_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def problem(value: str, *, multiline: bool) -> tuple[str, str] | None:
    """The (Chinese, English) message for the first character a field may not hold."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    return None if found is None else _describe(found, multiline)


def surrogate_problem(value: str) -> tuple[str, str] | None:
    """The message for an unpaired surrogate in any string (a key, a token, a PEM)."""
    found = _SURROGATE.search(value)
    return None if found is None else _describe(found, multiline=False)


def _describe(found: re.Match[str], multiline: bool) -> tuple[str, str]:
    code, pos = ord(found.group()), found.start() + 1
    if 0xD800 <= code <= 0xDFFF:
        return (
            f"第 {pos} 个字符 U+{code:04X} 是不成对的代理码，不是有效的 Unicode",
            f"character {pos}, U+{code:04X}, is an unpaired surrogate (not valid Unicode)",
        )
    zh = f"第 {pos} 个字符 U+{code:04X} 是控制字符，打印机会当作指令"
    en = f"character {pos}, U+{code:04X}, is a control character, which printers take as a command"
    if multiline:
        return f"{zh}；只允许换行", f"{en}; only line breaks are allowed"
    return zh, en


def unify_newlines(value: str) -> str:
    """CR LF and a lone CR as LF: one kind of line break for the printer and the screen."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def checked(field: str, value: str, *, multiline: bool) -> str:
    """`value` (line breaks unified when multi-line), or IntakeError naming `field`."""
    if multiline:
        value = unify_newlines(value)
    bad = problem(value, multiline=multiline)
    if bad is not None:
        raise IntakeError({field: bad})
    return value
