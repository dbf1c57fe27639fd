"""Terminals for the drills: the real Gateway in-process (to watch its buzzer on gpiozero's
MockFactory) or `liandong-gateway run` as a real process, both from the unit's bundle."""

from __future__ import annotations

import dataclasses
from typing import Any

from gpiozero.pins.mock import MockFactory

from gateway.config import load_config
from gateway.terminal import Gateway
from tests.e2e.county import County
from wire.clock import Clock


def gateway(
    county: County,
    unit: str,
    clock: Clock,
    *,
    printer: str | None = None,
    mqtt_port: int | None = None,
    **kw: Any,
) -> Gateway:
    """The unit's Gateway from its own gateway.toml, on its own MockFactory (a fleet in one
    process must not share BCM 17). `mqtt_port` sends it through a proxy instead."""
    config = load_config(county.gateway_toml(unit))
    if printer is not None:
        config = dataclasses.replace(
            config, printer=dataclasses.replace(config.printer, port=printer)
        )
    if mqtt_port is not None:
        config = dataclasses.replace(config, mqtt=dataclasses.replace(config.mqtt, port=mqtt_port))
    kw.setdefault("print_retry_s", 0.2)
    kw.setdefault("health_interval", 5.0)
    return Gateway(config, clock, pin_factory=MockFactory(), **kw)


def buzzer_states(gw: Gateway) -> list[bool]:
    """Every state the buzzer pin was driven to, oldest first (MockPin keeps the history)."""
    return [bool(s.state) for s in gw.pins.buzzer.pin.states]


def holds(gw: Gateway, order_id: str) -> bool:
    """The terminal has stored this order."""
    return any(o.order_id == order_id for o in gw.orders.all())
