"""Screenshot the console of a running demo for docs/demo.md.

    python -m demo.screenshot URL PASSWORD OUT.png [--user demo] [--page /]

Logs in with the one-time password the demo printed, sets a new password as the console
demands at the first login, and saves the page. Drives Debian's Chromium through
Playwright (never a downloaded browser).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shoot(url: str, user: str, password: str, out: Path, page_path: str = "/") -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/login")
            page.fill("#username", user)
            page.fill("#password", password)
            page.click("#submit")
            page.wait_for_load_state("networkidle")
            if "/password" in page.url:
                new = secrets.token_urlsafe(12)
                page.fill("#old", password)
                page.fill("#new", new)
                page.fill("#repeat", new)
                page.click("#submit")
                page.wait_for_load_state("networkidle")
            page.goto(f"{url}{page_path}")
            page.wait_for_timeout(1500)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m demo.screenshot", description=__doc__)
    ap.add_argument("url")
    ap.add_argument("password")
    ap.add_argument("out", type=Path)
    ap.add_argument("--user", default="demo")
    ap.add_argument("--page", default="/", help="console path to capture (default the board)")
    args = ap.parse_args(argv)
    shoot(args.url.rstrip("/"), args.user, args.password, args.out, args.page)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
