"""Freed heap goes back to the system after the kiosk's templates are compiled
(gateway/heap.py says why; docs/gateway.md Figures has the terminal's figure)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from gateway.kiosk import compile_templates, create_app
from gateway.terminal import Gateway
from tests.gateway.conftest import TerminalFiles

CHILD = """
from gateway.heap import give_back_free_memory

def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:'))

source = '\\n'.join(f'def f{i}(a):\\n    return [a + {i}, {{"k": a}}]' for i in range(1500))
keep = compile(source, 'generated', 'exec')  # the compiler's scratch blocks are freed now
before = rss()
print(give_back_free_memory(), before - rss())
"""


def test_compiler_scratch_memory_is_given_back() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) > 1024, f"only {out[1]} KiB given back"


def test_kiosk_templates_compile_ahead_of_the_first_page(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    app = create_app(make_gateway(files.config()))
    assert compile_templates(app) == len(app.jinja_env.list_templates()) >= 2
    cache = app.jinja_env.cache
    assert cache is not None and len(cache) == len(app.jinja_env.list_templates())
    assert app.test_client().get("/").status_code == 200
