"""What each import of a terminal's start costs in resident memory, and how to run the
terminal as on a terminal in a venv that holds more (bench_gateway's figures).

A terminal has only what `pip install 'liandong[gateway]'` installs; this venv also holds
the hub's and the tests' packages, some of which the terminal's libraries import when they
can (sqlite-utils imports numpy, flask-wtf babel). `as_on_a_terminal()` is a line of Python
that blocks every module no distribution of that extra provides.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

IMPORT_LAYERS = (
    ("ssl", "ssl"),
    ("cryptography (x509, ec)", "cryptography.x509,cryptography.hazmat.primitives.asymmetric.ec"),
    ("paho.mqtt (the bare baseline stops here, plus its connection)", "paho.mqtt.client"),
    ("msgspec", "msgspec"),
    ("wire (our message contract)", "wire"),
    ("sqlite3", "sqlite3"),
    ("gpiozero (and colorzero)", "gpiozero"),
    ("pyserial", "serial"),
    (
        "gateway.launch, gateway.runner, gateway.terminal (our code)",
        "gateway.launch,gateway.runner,gateway.terminal",
    ),
    ("-- started: kiosk off stops here --", ""),
    ("click (every command but the unit's `run` line; Flask imports it too)", "click"),
    ("flask, werkzeug, jinja2", "flask"),
    ("flask-wtf, wtforms", "flask_wtf"),
    ("waitress", "waitress"),
    ("gateway.kiosk", "gateway.kiosk"),
    ("-- started: kiosk on stops here; later, lazily --", ""),
    ("prometheus_client (first scrape of /metrics)", "prometheus_client"),
    ("sqlite-utils (first start after an install or upgrade)", "sqlite_utils"),
    ("pynmea2 (first NMEA line, with [gps])", "pynmea2"),
)
"""(what, modules) in the order the start imports them; each adds to the ones above it."""
IMPORT_COSTS = """
import importlib, sys
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:'))
prev = rss()
print('start', prev, flush=True)
for mods in sys.argv[1:]:
    for m in filter(None, mods.split(',')):
        importlib.import_module(m)
    now = rss()
    print(mods or '-', now, flush=True)
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _gateway_closure() -> set[str]:
    """The distributions `pip install 'liandong[gateway]'` installs (normalized names)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [("liandong", ("gateway",))]
    while todo:
        name, extras = todo.pop()
        if (_norm(name), extras) in seen:
            continue
        seen.add((_norm(name), extras))
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras or ("",)):
                continue
            todo.append((req.name, tuple(sorted(req.extras))))
    return {name for name, _ in seen}


def as_on_a_terminal() -> str:
    """Python that blocks every module no distribution of the [gateway] extra provides."""
    keep = _gateway_closure()
    blocked = sorted(
        top
        for top, dists in metadata.packages_distributions().items()
        if top.isidentifier()
        and top not in sys.stdlib_module_names
        and not any(_norm(d) in keep for d in dists)
    )
    return f"import sys; sys.modules.update(dict.fromkeys({blocked!r}));"


def import_costs(prefix: str) -> dict[str, str]:
    """MiB added by each layer of IMPORT_LAYERS, and MiB after it."""
    layers = [mods for _, mods in IMPORT_LAYERS]
    out = subprocess.run(
        [sys.executable, "-c", prefix + IMPORT_COSTS, *layers],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
    ).stdout.split("\n")
    kib = [int(line.rsplit(" ", 1)[1]) for line in out if line]
    figures = {"import: interpreter (MiB after)": f"{kib[0] / 1024:.1f}"}
    for (what, mods), before, after in zip(IMPORT_LAYERS, kib[:-1], kib[1:], strict=True):
        if mods:
            figures[f"import: {what} (MiB added, after)"] = (
                f"+{(after - before) / 1024:.1f}, {after / 1024:.1f}"
            )
    return figures
