"""Default BCM pin numbers of a terminal, in one place.

firmware-config/pins/*.toml carries the same defaults for the SD card image; a test compares
the two so that a wiring change is made in both or in neither.
"""

from __future__ import annotations

from typing import Final

DEFAULT_PINS: Final[dict[str, int]] = {
    "buzzer": 17,
    "light": 27,
    "ack_button": 22,
    "arrive_button": 23,
}
