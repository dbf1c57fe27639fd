"""SMS-SUBMIT PDUs (3GPP TS 23.040) in UCS-2 for Chinese text, split with a concatenation
header when a message is longer than one SMS.

Why our own ~60 lines rather than a library: the one PDU encoder still on PyPI with
UCS-2 and concatenation, python-gsmmodem-new, has had no release since 2021 and its
package does not import cleanly under this project's warnings-as-errors (docs/
notifications.md says more); python-messaging (2020) and smspdu (2011) are older still.
The encoding is fixed by the standard and small; the tests decode every PDU we make with
an independent, maintained decoder (smspdudecoder) so a mistake here cannot hide.

Every message is UCS-2 (DCS 0x08): escalations are Chinese, and one encoding keeps the
split simple (70 characters in one SMS, 67 per part of a long one). Characters outside
the Basic Multilingual Plane, which UCS-2 cannot carry, become "?".
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE = 70  # UCS-2 characters in one SMS (140 octets)
PART = 67  # per part of a concatenated SMS: 140 octets less the 6-octet header
FIRST_OCTET = 0x11  # SMS-SUBMIT, relative validity period
UDHI = 0x40  # the user data begins with a header
VALIDITY_24H = 0xA7  # relative validity: (167 - 143) * 30 min + 12 h = 24 h
DCS_UCS2 = 0x08


@dataclass(frozen=True)
class Pdu:
    hex: str  # what follows AT+CMGS=<tpdu_length> at the modem's "> " prompt
    tpdu_length: int  # octets after the (empty) SMSC field


def _address(number: str) -> bytes:
    """TP-DA: digit count, type of number, digits as swapped semi-octets (F-padded)."""
    international = number.startswith("+")
    digits = number.lstrip("+")
    if not digits.isdigit() or not 3 <= len(digits) <= 20:
        raise ValueError(f"not a phone number a modem can send to: {number!r}")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), 0x91 if international else 0x81]) + bytes.fromhex(swapped)


def ucs2_units(text: str) -> str:
    """`text` with what UCS-2 cannot carry replaced, so each character is one code unit."""
    return "".join(c if ord(c) <= 0xFFFF else "?" for c in text)


def split(text: str) -> list[str]:
    """The parts `text` is sent in: one when it fits an SMS, else PART characters each."""
    text = ucs2_units(text)
    if len(text) <= SINGLE:
        return [text]
    parts = [text[i : i + PART] for i in range(0, len(text), PART)]
    if len(parts) > 255:
        raise ValueError(f"a message of {len(text)} characters needs more than 255 SMS")
    return parts


def encode(number: str, text: str, reference: int = 0) -> list[Pdu]:
    """The PDUs that send `text` to `number`; `reference` (0..255) ties the parts of a long
    message together: keep it the same when the message is sent again, so a phone that got
    some parts the first time can put the message together."""
    parts = split(text)
    address = _address(number)
    pdus = []
    for seq, part in enumerate(parts, start=1):
        header = b""
        first = FIRST_OCTET
        if len(parts) > 1:
            header = bytes([0x05, 0x00, 0x03, reference & 0xFF, len(parts), seq])
            first |= UDHI
        data = header + part.encode("utf-16-be")
        tpdu = (
            bytes([first, 0x00])  # TP-MR 0: the modem numbers the message
            + address
            + bytes([0x00, DCS_UCS2, VALIDITY_24H, len(data)])
            + data
        )
        pdus.append(Pdu(hex=("00" + tpdu.hex()).upper(), tpdu_length=len(tpdu)))
    return pdus
