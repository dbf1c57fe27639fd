"""The terminal's pins: buzzer, light and the two buttons, through gpiozero.

The pin factory comes from gpiozero (`GPIOZERO_PIN_FACTORY=mock` off the Pi, lgpio on a
Pi 5) or is injected: the demo gives each simulated terminal its own `MockFactory` so that
a fleet shares one process without fighting over BCM 17.

Debouncing is ours (`Debouncer`), not gpiozero's `bounce_time`: the mock pins ignore
bounce_time, so only our own code can be tested, and a panel button pressed with a
gloved thumb bounces for tens of milliseconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from gpiozero import LED, Buzzer, Device, DigitalInputDevice

log = logging.getLogger(__name__)

DEBOUNCE_S = 0.3


class Debouncer:
    """Accepts a press only when `window` seconds have passed since the last accepted one."""

    def __init__(
        self,
        action: Callable[[], object],
        window: float = DEBOUNCE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.action = action
        self.window = window
        self.monotonic = monotonic
        self._last: float | None = None
        self._lock = threading.Lock()
        self.ignored = 0

    def press(self) -> bool:
        with self._lock:
            now = self.monotonic()
            if self._last is not None and now - self._last < self.window:
                self.ignored += 1
                return False
            self._last = now
        try:
            self.action()
        except Exception:  # a failing action must not kill gpiozero's callback thread
            log.exception("button action failed")
        return True


class Pins:
    """gpiozero devices for one terminal."""

    def __init__(self, pins: dict[str, int], pin_factory: Any | None = None) -> None:
        factory = pin_factory if pin_factory is not None else Device.pin_factory
        kw: dict[str, Any] = {"pin_factory": factory} if factory is not None else {}
        self.buzzer = Buzzer(pins["buzzer"], **kw)
        self.light = LED(pins["light"], **kw)
        # Panel buttons close to ground with the internal pull-up enabled. A plain input,
        # not gpiozero's Button: Button adds hold detection, one idle thread per button that
        # the terminal never uses (press only), about 0.1 MiB each (docs/gateway.md Figures).
        self.ack_button = DigitalInputDevice(pins["ack_button"], pull_up=True, **kw)
        self.arrive_button = DigitalInputDevice(pins["arrive_button"], pull_up=True, **kw)

    def on_buttons(self, ack: Debouncer, arrive: Debouncer) -> None:
        self.ack_button.when_activated = lambda *_: ack.press()
        self.arrive_button.when_activated = lambda *_: arrive.press()

    def close(self) -> None:
        for dev in (self.buzzer, self.light, self.ack_button, self.arrive_button):
            try:
                dev.close()
            except Exception:
                log.exception("closing %s", dev)

    # ---- helpers for simulations (mock pins only) ----------------------------------------

    def press(self, button: str) -> None:
        """Press and release a button on mock pins: `ack` or `arrive`."""
        dev = self.ack_button if button == "ack" else self.arrive_button
        pin = dev.pin
        pin.drive_low()
        pin.drive_high()
