"""Masking caller phone numbers before they leave the hub (orders, printouts, screens)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
_MASKED = re.compile(r"^[0-9+]{0,4}\*{3,8}[0-9]{0,4}$")  # `wire.kinds.MaskedPhone`


def mask_phone(phone: str | None) -> str:
    """138****5678 for mobiles; keep at most 3 leading and 4 trailing digits, always hide 4+.

    Short numbers (under 8 digits) keep only their last 2 digits; an empty input stays
    empty. The result always matches the `MaskedPhone` pattern of `wire.kinds`. A number
    already masked (a terminal masks a self-recorded call's caller before signing) is kept
    as it is: masking twice would hide the digits the first mask left to recognise it by.
    """
    if not phone:
        return ""
    if _MASKED.match(phone):
        return phone
    digits = "".join(_DIGITS.findall(phone))
    if not digits:
        return ""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 8:
        return f"****{digits[-4:]}"
    return f"***{digits[-2:]}"
