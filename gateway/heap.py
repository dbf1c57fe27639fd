"""Giving freed heap memory back to the system (glibc's `malloc_trim`), where it helps.

Compiling the kiosk's Jinja templates runs CPython's compiler over about 25 KB of
generated Python: it allocates some 2 MiB of small blocks and frees them again, and glibc
keeps those pages in the process (they sit between blocks still in use). `malloc_trim(0)`
returns them: 1.8 MiB of a kiosk terminal's resident memory (docs/gateway.md, Figures).
Called once, after the templates are compiled. Not after the terminal's start: there it
gave back nothing measurable while importing ctypes costs 0.3 MiB, so a terminal without
its kiosk never imports this module.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def give_back_free_memory() -> bool:
    """`malloc_trim(0)`: True if glibc returned memory to the system; False when it had
    none to return or the C library is not glibc (musl, macOS), where this does nothing."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        log.debug("no malloc_trim in this C library: nothing given back")
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))
