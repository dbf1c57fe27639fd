"""The few ESC/POS command sequences a slip uses, as bytes: initialise, alignment, bold,
text size, a native QR code, feed and cut.

Why not python-escpos, which the project used for these until issue 17: importing it pulls
Pillow, qrcode, python-barcode and PyYAML and parses its whole printer-profile database,
about 10 MiB resident for as long as the terminal runs and 0.2 s on the first slip (more
on a Pi), to emit a handful of fixed sequences. The sequences here are the ones
python-escpos 3.1 emits for exactly the calls the terminal made (`hw("INIT")`, `set(...)`,
`qr(..., native=True)`, `cut()` with its default profile), byte for byte: python-escpos stays
a dev dependency and the oracle of `tests/gateway/test_escpos_commands.py`, which renders
slips both ways and compares. Text is never encoded here (gateway.devices.printer).
"""

from __future__ import annotations

from typing import Literal

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
"""ESC @: clear the buffer, reset modes."""
_ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
_BOLD = {False: ESC + b"E\x00", True: ESC + b"E\x01"}
_MODE_NORMAL = ESC + b"!\x00"
# ESC ! n selects the size; python-escpos sends ESC ! 0 twice before it (and ESC ! also
# clears bold, which is why bold is always sent after the size).
_SIZE = {
    "normal": _MODE_NORMAL + _MODE_NORMAL + _MODE_NORMAL,
    "double": _MODE_NORMAL + _MODE_NORMAL + ESC + b"!\x30",
}
FEED_AND_CUT = ESC + b"d\x06" + GS + b"V\x00"
"""ESC d 6 (print and feed six lines, clear of the cutter), GS V 0 (full cut)."""
_QR = b"1"  # cn: the 2D code type, QR
_QR_MODEL_2, _QR_EC_L = 2, 0
_GS_K_MAX = 0xFFFF

Align = Literal["left", "center", "right"]
Size = Literal["normal", "double"]


def style(
    *, align: Align | None = None, bold: bool | None = None, size: Size | None = None
) -> bytes:
    """Text style: size first, then bold, then alignment; what is None is not sent."""
    out = b""
    if size is not None:
        out += _SIZE[size]
    if bold is not None:
        out += _BOLD[bold]
    if align is not None:
        out += _ALIGN[align]
    return out


def _gs_k(fn: int, data: bytes, m: bytes = b"") -> bytes:
    """GS ( k pL pH cn fn [m] data: one 2D-code function with its length."""
    length = len(data) + len(m) + 2
    if length > _GS_K_MAX:
        raise ValueError(f"QR data too long for one GS ( k command: {len(data)} bytes")
    return GS + b"(k" + length.to_bytes(2, "little") + _QR + bytes([fn]) + m + data


def qr(content: str, size: int) -> bytes:
    """A QR code the printer draws itself (model 2, error correction L, `size` dots a
    module, 1-16): select model, set size, set level, store the UTF-8 data and print it.
    Empty content prints nothing, as in python-escpos."""
    if not 1 <= size <= 16:
        raise ValueError(f"QR module size must be 1-16, not {size}")
    if content == "":
        return b""
    return (
        _gs_k(65, bytes([48 + _QR_MODEL_2, 0]))
        + _gs_k(67, bytes([size]))
        + _gs_k(69, bytes([48 + _QR_EC_L]))
        + _gs_k(80, content.encode("utf-8"), b"0")
        + _gs_k(81, b"", b"0")
    )
