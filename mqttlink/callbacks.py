"""The never-raise wrapper for paho callbacks.

paho runs every callback on its network thread, and an exception that escapes one ends
that thread: the client then neither reads nor reconnects, silently. Every callback we
give paho is wrapped in `never_raise`, which logs the exception (with its traceback, on
the logger of the module that wrote the callback) and returns normally.

The wrapper is the last guard, not the error handling: a callback that must react to a
failure (not acknowledging a message its store refused, for one) catches that itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")


def never_raise(fn: Callable[P, object]) -> Callable[P, None]:
    """`fn` as a paho callback: any `Exception` it raises is logged and swallowed.

    Usable as a decorator on methods and functions, or as a call around a lambda
    (`client.on_publish = never_raise(lambda *a: ...)`). `BaseException`s that are not
    `Exception`s (KeyboardInterrupt, SystemExit) still propagate: they are meant to stop.
    """
    log = logging.getLogger(getattr(fn, "__module__", None) or __name__)
    name = getattr(fn, "__qualname__", None) or repr(fn)

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("paho callback %s failed", name)

    return guarded
