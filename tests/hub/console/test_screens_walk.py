"""Every console page each role can reach, in a real headless Chromium, reads in Chinese.

The hub's app is served over HTTP on a county with a full story behind it (an incident
acknowledged, on scene with a GPS fix, fed back; a missed deadline met by the terminal's
own clock; a reassignment, a cancellation, a closed incident, a drill; terminals with
paper out, a drifting clock, a revoked certificate; refused logins). For each role the
walker logs in through the form, follows every same-site link from the pages it reaches
(a bounded number of each page shape), and fails on any code, raw time, float noise,
bare status word or catalog English on a page (tests/support/screen_words.py).

Generic on purpose: a page another change adds is walked as soon as a link leads to it.
With LIANDONG_SCREENSHOTS=DIR the screens the docs show are written to DIR.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from werkzeug.serving import make_server

from hub.fleet.service import Fleet
from hub.fleet.web import EXTENSION as FLEET_EXTENSION
from hub.terminals.unit_certs import UnitKeys
from provisioning.county import init_county
from provisioning.enroll import enroll_unit
from provisioning.revocation import revoke
from tests.hub.conftest import incident_data
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.console.test_i18n import CATALOG
from tests.hub.harness import COUNTY
from tests.support.hubparts import TestService
from tests.support.screen_words import code_problems, english_phrases, problems, visible_text
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

pytestmark = pytest.mark.slow
ROLES = ("operator", "supervisor", "auditor", "admin")
PER_SHAPE = 2  # pages of one shape (/assessment/units/<unit>) walked per role
MAX_PAGES = 60  # per role: a runaway link pattern fails instead of walking forever
SKIP = re.compile(r"^/(lang/|events|logout|console-static/)|/live$|/fragment$|\.\w{2,4}$")
"""Not pages: the language switch, the event stream, fragments, static files, downloads."""
SHOTS = {
    "supervisor": {"/": "console-board", "/units": "console-units", "/entry": "console-entry"},
    "admin": {"/audit": "console-audit", "/users": "console-users"},
}
"""The screens the docs show, each taken as the role that works on it."""
REACHES = {
    "operator": {"/entry", "/units", "/boundary"},
    "supervisor": {"/entry", "/units", "/drills", "/assessment", "/assessment/rubric"},
    "auditor": {"/audit", "/units", "/assessment"},
    "admin": {"/audit", "/users", "/registry", "/units", "/fleet"},
}
"""Pages each role must have walked (a broken nav would otherwise pass by walking less)."""


def _catalog_english() -> list[re.Pattern[str]]:
    with (CATALOG / "messages.po").open("rb") as f:
        ids = [str(m.id) for m in read_po(f) if m.id and m.string and m.string != m.id]
    return english_phrases(ids)


def _shape(link: str) -> str:
    """Pages of one kind: the last of three or more segments is an id, and a query string
    (`?day=`, `?year=&quarter=`) pages through the same screen."""
    path, _sep, query = link.partition("?")
    parts = path.strip("/").split("/")
    shape = "/".join([*parts[:-1], "*"]) if len(parts) >= 3 else path
    return shape + ("?" if query else "")


@pytest.fixture
def served(app: Flask, service: TestService, tmp_path: Path) -> Iterator[str]:
    # The fleet page is the running hub's (`hub/fleet/wiring.py`): wired here the same way,
    # so the admin's walk reads it too.
    fleet = Fleet(
        service.store.path,
        tmp_path / "releases",
        tmp_path / "release.pub",
        service.registry,
        service.clock,
        lambda units, offer, by: service.offer_update(units, offer, by=by),
        "http://127.0.0.1/releases/",
    )
    fleet.releases.migrate()
    app.extensions[FLEET_EXTENSION] = fleet
    # A closed tab's event stream ends at the next heartbeat: short, so the walk's many
    # page loads never exhaust the stream slots and every page shows its live state.
    app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.2
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _story(root: Path, service: TestService, clock: FakeClock) -> dict[str, str]:
    """A county day with every kind of event on record; returns the incident ids by name.

    A real county PKI (provisioning's init, enroll, revoke) signs the terminals' reports,
    and the hub's own CRL watch learns of the revoked terminal."""
    done, _ = service.intake(
        incident_data(source_id="J532322-0101", lat=24.225981666666666, lon=101.6123456789),
        source="cad-110",
    )
    late, _ = service.intake(
        incident_data(source_id="J532322-0102", category="road-damage", township="dazhuang"),
        source="cad-110",
    )
    late_order = late.orders[0]
    units = sorted({"power-co", "fire", "water-co", late_order.unit})
    init_county(root, "shuangbai")
    for unit in units:
        enroll_unit(root, unit)
    handler = service.parts.uplink(UnitKeys(root))
    signers = {u: Signer.from_pem((root / "units" / u / "unit.key").read_bytes()) for u in units}

    def send(unit: str, kind: str, body: k.Body, at: Any = None) -> None:
        _, payload = codec.encode(kind, unit, body, signers[unit], at=at or clock.now())
        topic = topics.state(COUNTY, unit) if kind == "state" else topics.up(COUNTY, unit)
        handler.handle(topic, payload)

    late_signed = clock.now() + timedelta(seconds=15)
    send(late_order.unit, "received", k.ReceivedBody(order_id=late_order.id), at=late_signed)
    order = next(o.id for o in done.orders if o.unit == "power-co")
    clock.advance(20)
    send("power-co", "received", k.ReceivedBody(order_id=order))
    send("power-co", "ack", k.AckBody(order_id=order, via="button"))
    clock.advance(900)
    fix = k.Position(lat=24.225981666666666, lon=101.6123456789)
    send("power-co", "arrived", k.ArrivedBody(order_id=order, source="gps", position=fix))
    send(
        "power-co",
        "feedback",
        k.FeedbackBody(order_id=order, result_code="resolved", text="已恢复"),
    )
    service.add_note(done.id, "已电话回访", by="chief")
    assist = service.add_assist(done.id, "fire", by="chief", note="协助疏导")
    service.reassign(assist.id, "water-co", by="chief", reason="消防另有任务")

    # Acknowledged in time by the terminal's clock, heard of after the deadline fired.
    service.parts.engine().run_due()
    send(late_order.unit, "ack", k.AckBody(order_id=late_order.id), at=late_signed)

    cancelled, _ = service.intake(incident_data(source_id="J532322-0103"), source="cad-110")
    service.cancel_order(cancelled.orders[0].id, by="chief", reason="报警人已自行处理")
    service.close_incident(cancelled.id, by="chief", note="误报")
    [drill] = service.send_drill(["fire"], by="chief")

    for unit, printer, offset in (("power-co", "ok", 1.25), ("fire", "paper_out", 45.5)):
        health = k.HealthBody(
            version="0.1.0", uptime_s=60, printer=printer, outbox_depth=0, clock_offset_s=offset
        )
        send(unit, "state", k.StateBody(status="online", health=health))
    revoke(root, "water-co", reason="terminal stolen")
    watch = service.parts.revocations(UnitKeys(root), min_interval_s=0)
    assert watch.refresh() == {"water-co"}
    return {"done": done.id, "late": late.id, "closed": cancelled.id, "drill": drill.incident_id}


def _login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_load_state()


def _keep(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("LIANDONG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _walk(
    page: Any, url: str, seeds: list[str], lang: str = "zh-CN"
) -> tuple[dict[str, list[str]], set[str]]:
    """Visit the seeds and everything linked from them; return the problems per path and
    the paths visited. In English only codes, raw times and floats are looked for."""
    english = _catalog_english()
    queue, seen, shapes = list(seeds), set(seeds), {}  # type: ignore[var-annotated]
    found: dict[str, list[str]] = {}
    visited = 0
    while queue:
        path = queue.pop(0)
        visited += 1
        assert visited <= MAX_PAGES, f"more than {MAX_PAGES} pages: a link pattern runs away"
        response = page.goto(url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.evaluate("document.documentElement.lang") == lang, path
        text = visible_text(page)
        bad = problems(text, english) if lang == "zh-CN" else code_problems(text)
        if bad:
            found[path] = bad
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != url:
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link in seen or SKIP.search(parts.path):
                continue
            shape = _shape(link)
            if shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(link)
            queue.append(link)
    return found, seen


def test_every_page_every_role_reaches_reads_in_chinese(
    served: str,
    service: TestService,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    require_chromium()
    ids = _story(tmp_path / "pki", service, clock)
    seeds = ["/", "/password", *(f"/incidents/{i}" for i in ids.values())]
    failures: dict[str, dict[str, list[str]]] = {}
    with chromium() as browser:
        for role in ROLES:
            make_user(service, f"{role}-1", role)
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            page = context.new_page()
            _login(page, served, f"{role}-1", "not-the-password")  # refused: audited
            _login(page, served, f"{role}-1", PASSWORD)
            bad, seen = _walk(page, served, seeds)
            if bad:
                failures[role] = bad
            assert REACHES[role] <= seen, f"{role} did not reach {REACHES[role] - seen}"
            shots = dict(SHOTS.get(role, {}))
            if role == "supervisor":
                shots.update({f"/incidents/{ids[n]}": f"console-incident-{n}" for n in ids})
            for path, name in shots.items():
                page.goto(served + path)
                if page.locator("#live-status").count():
                    page.locator("#live-status.on").wait_for(timeout=5000)
                _keep(page, tmp_path, name)
            page.goto(f"{served}/lang/en?next=/")  # the English switch, on every page too
            bad, _seen = _walk(page, served, seeds, lang="en")
            if bad:
                failures[f"{role} (English)"] = bad
            context.close()
    assert failures == {}, f"codes or English on Chinese pages: {failures}"


@pytest.mark.parametrize(
    "shown",
    [
        "category pollution source_id J1",
        "2026-12-01T21:16:52.553916+00:00 · cli",
        "位置 24.225981666666666",
        "password_change 成功",
        "结果 ok",
        "角色 lead",
        "Order sent to 消防",
    ],
)
def test_the_checks_catch_what_the_issue_saw(shown: str) -> None:
    assert problems(shown, _catalog_english()), shown


def test_the_checks_pass_a_chinese_line() -> None:
    line = "12-02 05:16:52 云南电网双柏供电局已到场 GPS 定位 位置 24.22598, 101.61235"
    line += " 值班员 operator-1"
    assert problems(line, _catalog_english()) == []


def test_a_click_on_the_entry_map_gives_the_incident_its_position(
    served: str, service: TestService, tmp_path: Path
) -> None:
    """pick.js turns a click back into latitude and longitude (the inverse of maps.py's
    projection): a click on 大庄镇's dot fills 大庄镇's coordinates, and the incident gets them."""
    require_chromium()
    make_user(service, "zhou", "operator")
    town = service.registry.townships["dazhuang"]
    with chromium() as browser:
        page = browser.new_page(locale="zh-CN", viewport={"width": 1440, "height": 1000})
        _login(page, served, "zhou", PASSWORD)
        page.goto(f"{served}/entry")
        assert page.locator("#picked").is_hidden()
        dot = page.locator("#pick-map g.marker", has_text=town.name_zh).locator("circle")
        dot.click()
        assert page.locator("#picked").is_visible()
        lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
        assert abs(lat - town.lat) < 0.005 and abs(lon - town.lon) < 0.005, (lat, lon)
        page.select_option("#category", "power-cut")
        page.select_option("#township", "dazhuang")
        page.fill("#address", "大庄镇 老街口")
        page.fill("#summary", "电线杆倒伏。")
        page.click("#submit")
        page.wait_for_url(re.compile(r"/incidents/[0-9A-Z]+$"))
        assert "位置" in page.inner_text("dl")
    [incident] = service.open_incidents()
    assert (incident.lat, incident.lon) == (round(lat, 6), round(lon, 6))
