"""Keep the hub's threads on one CPU (`[process] one_cpu`, on by default).

The hub is one Python process, so one thread at a time runs Python (the GIL). With its
threads free to run on every core, each hand-over of the GIL crosses cores: a thread woken
on the other core finds the GIL taken, sleeps, is woken again. Measured during an intake
burst on the 2-core bench machine (issue 17, docs/hub.md "Measured"): 61-66 context
switches and 2.45-2.48 ms of the hub's CPU per order, 381 orders/s; with every thread on
one CPU, 8.3-8.6 switches and 1.69-1.70 ms per order, 538-540 orders/s. What the hub does
outside the GIL (SQLite, TLS) loses the second core, and measured, that costs less.
Processes the hub talks to (Mosquitto, nginx) are not affected.

Linux sets affinity per thread: every thread the process has is moved, and threads started
later inherit it from the thread that starts them. On a system without
`sched_setaffinity` nothing changes.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def pin_to_one_cpu() -> int | None:
    """Move every thread of this process to one of the CPUs it may use (the last one: the
    first tends to take the interrupts); the CPU chosen, or None when there was nothing to
    do (one CPU already, or no affinity on this system)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) <= 1:
        return None
    cpu = max(allowed)
    try:
        tasks = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        tasks = [0]  # this thread at least; the threads it starts inherit
    for tid in tasks:
        try:
            os.sched_setaffinity(tid, {cpu})
        except ProcessLookupError:
            continue  # a thread that ended meanwhile
    log.info("hub threads on CPU %d of %d ([process] one_cpu)", cpu, len(allowed))
    return cpu
