"""What the hub benchmarks share: a real TLS broker on a free port, percentiles, a poll."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from demo.broker import Broker, free_port, write_dev_config
from tests.support.pki import ThrowawayPKI

T = TypeVar("T")


def tls_broker(workdir: Path) -> tuple[ThrowawayPKI, Broker]:
    """A throwaway PKI and a started Mosquitto with mutual TLS from it (stop it yourself)."""
    pki = ThrowawayPKI.create(workdir / "pki")
    port = free_port()
    conf = write_dev_config(
        workdir / "broker",
        port,
        cafile=pki.ca_path,
        certfile=pki.root / "broker.crt",
        keyfile=pki.root / "broker.key",
    )
    broker = Broker(conf, port, workdir / "broker" / "mosquitto.log")
    broker.start()
    return pki, broker


def pcts(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of `samples`, rounded to hundredths."""
    s = sorted(samples)
    return round(statistics.median(s), 2), round(s[min(len(s) - 1, int(len(s) * 0.99))], 2)


def wait(check: Callable[[], T], timeout: float, every: float = 0.001) -> T:
    """Poll `check` until it returns something true; TimeoutError after `timeout` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = check()
        if v:
            return v
        time.sleep(every)
    raise TimeoutError("benchmark step did not finish in time")


def spread(values: list[float], digits: int = 2) -> str:
    """min/median/max of the runs, as the docs print them."""
    s = sorted(values)
    return "/".join(str(round(v, digits)) for v in (s[0], statistics.median(s), s[-1]))


def columns(runs: Sequence[Mapping[str, float]]) -> Callable[[str], list[float]]:
    """`col(name)`: one figure of every run, in run order, as spread and ratios take it."""
    return lambda name: [r[name] for r in runs]


def ratios(values: list[float], baselines: list[float]) -> list[float]:
    """Each run's figure over the baseline taken in the same run."""
    return [v / b for v, b in zip(values, baselines, strict=True)]


def goal(met: bool, what: str) -> str:
    return f"{what}: {'met' if met else 'NOT met'}"


def commits_per_s(path: Path, n: int = 2000) -> float:
    """The baseline: one-row transactions committed (fsync'd) per second on this disk."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (i INTEGER)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?)", (i,))
        conn.execute("COMMIT")
    conn.close()
    return n / (time.perf_counter() - t0)
