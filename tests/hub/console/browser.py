"""Real headless Chromium for the console's end-to-end tests.

Debian's `chromium` (apt-get install chromium fonts-noto-cjk) driven by Playwright through
its executable path; Playwright's own browser download is never used. Without the browser
the tests fail with a message that says what to install, unless LIANDONG_NO_BROWSER=1 is
set, which skips them loudly (for machines that cannot have a browser at all).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def require_chromium() -> Path:
    """The browser, or a skip (LIANDONG_NO_BROWSER=1) or a failure that says what to do."""
    if os.environ.get("LIANDONG_NO_BROWSER") == "1":
        pytest.skip("LIANDONG_NO_BROWSER=1: the console's browser tests are NOT run")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the console's end-to-end tests need Debian's browser "
            "(apt-get install chromium fonts-noto-cjk), or set LIANDONG_NO_BROWSER=1 to skip "
            "them on purpose"
        )
    return CHROMIUM


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (Playwright `Browser`), closed afterwards."""
    from playwright.sync_api import sync_playwright

    path = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(path), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def other_site(pages: dict[str, str]) -> Iterator[str]:
    """Serve fixed HTML pages from another origin on 127.0.0.1; yields its base URL."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = pages.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
