"""Signing and verifying an order: what every message costs each side."""

from __future__ import annotations

import time
from pathlib import Path

from bench.orders import sample_order
from provisioning.pki import new_key
from wire import Signer, decode, encode
from wire.clock import SystemClock
from wire.kinds import OrderBody


def _order() -> OrderBody:
    return sample_order(SystemClock().now(), summary="整条街停电，有老人使用制氧机。" * 4)


def run(workdir: Path) -> dict[str, object]:
    signer = Signer(new_key())
    body = _order()
    n = 2000
    t0 = time.perf_counter()
    payloads = [
        encode("order", "power-co", body, signer, at=body.dispatched_at)[1] for _ in range(n)
    ]
    t1 = time.perf_counter()
    for raw in payloads:
        decode(raw, signer.verifier, unit="power-co")
    t2 = time.perf_counter()
    return {
        "order size (bytes)": len(payloads[0]),
        "encode+sign per message (µs)": round((t1 - t0) / n * 1e6, 1),
        "decode+verify per message (µs)": round((t2 - t1) / n * 1e6, 1),
    }
