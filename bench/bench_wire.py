"""Signing and verifying an order: what every message costs each side, beside the bare calls.

Each figure is per message, over 2,000 messages, three runs (min/median/max). The baseline
in the same run is the work no signed-JSON format can skip, done with the same libraries
directly: `json.dumps` of the same object plus one ECDSA P-256 signature (and, to verify,
`json.loads` plus one verification). What `wire/` adds on top is the rest: the id, the
schema check before signing (so nothing is queued that a receiver refuses), canonical
form, the envelope's checks and typing the body. Issue 17 set no goal for these figures;
they are the per-message part of the hub's and the terminal's CPU (bench_hub,
bench_gateway).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench.common import columns, ratios, spread
from bench.orders import sample_order
from provisioning.pki import new_key
from wire import Signer, decode, encode
from wire.clock import SystemClock
from wire.kinds import OrderBody

N = 2000
RUNS = 3
_ALG = ec.ECDSA(hashes.SHA256())


def _order() -> OrderBody:
    return sample_order(SystemClock().now(), summary="整条街停电，有老人使用制氧机。" * 4)


def _per_message_us(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    for _ in range(N):
        fn()
    return (time.perf_counter() - t0) / N * 1e6


def _one_run() -> dict[str, float]:
    key = new_key()
    signer = Signer(key)
    body = _order()
    _, payload = encode("order", "power-co", body, signer, at=body.dispatched_at)
    obj = json.loads(payload)
    data = json.dumps(obj, ensure_ascii=False).encode()
    bare_sig = key.sign(data, _ALG)
    public = key.public_key()
    builtins = msgspec.to_builtins(body)

    def bare_sign() -> None:
        key.sign(json.dumps(builtins, ensure_ascii=False).encode(), _ALG)

    def bare_verify() -> None:
        json.loads(payload)
        public.verify(bare_sig, data, _ALG)

    return {
        "size": len(payload),
        "sign": _per_message_us(
            lambda: encode("order", "power-co", body, signer, at=body.dispatched_at)
        ),
        "bare_sign": _per_message_us(bare_sign),
        "verify": _per_message_us(lambda: decode(payload, signer.verifier, unit="power-co")),
        "bare_verify": _per_message_us(bare_verify),
    }


def run(workdir: Path) -> dict[str, object]:
    runs = [_one_run() for _ in range(RUNS)]

    col = columns(runs)

    return {
        "runs": RUNS,
        "order size (bytes)": int(runs[0]["size"]),
        "encode+sign per message (µs)": spread(col("sign"), 1),
        "baseline: json.dumps + one ECDSA signature (µs)": spread(col("bare_sign"), 1),
        "ratio encode+sign / baseline": spread(ratios(col("sign"), col("bare_sign"))),
        "decode+verify per message (µs)": spread(col("verify"), 1),
        "baseline: json.loads + one ECDSA verification (µs)": spread(col("bare_verify"), 1),
        "ratio decode+verify / baseline": spread(ratios(col("verify"), col("bare_verify"))),
        "goal": "none set (issue 17): context for the hub's and terminal's CPU per message",
    }
