"""The console over HTTPS through the real nginx, configured exactly as the installer left
it, in front of a real `liandong-hub serve` started with the installed unit's command line.

nginx runs in a private mount namespace (`unshare --mount`) in which the installed root's
`/etc` is `/etc`: Debian's own nginx.conf, the installed site, certificate and key, all
unchanged, and nothing on the host touched (`/run`, `/var/log/nginx` and `/var/lib/nginx`
are private tmpfs there). Only the ports differ from a real hub machine, and those the
installer takes as options (`--http-port`, `--https-port`). A real client that trusts only
the county CA logs in and sees the Secure cookie; plain HTTP is sent to HTTPS.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from demo.broker import free_port
from hub.console import audit
from tests.e2e import api
from tests.e2e.procs import Process
from tests.hubinstall.conftest import INSTALL, NAMES, HubRoot, make_hub_root, run_install
from tests.support.wait import wait_for

NGINX = Path("/usr/sbin/nginx")
HOST_NGINX = Path("/etc/nginx")
PRIVATE = ("/run", "/var/log/nginx", "/var/lib/nginx")  # tmpfs in the namespace when present
SEAT = "127.0.0.2"  # a seat's own address (Linux answers on all of 127/8)


def _namespaces_work() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        capture_output=True, timeout=10, check=False,
    )  # fmt: skip
    return done.returncode == 0


pytestmark = [
    pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (make nginx)"),
    pytest.mark.skipif(
        not (HOST_NGINX / "nginx.conf").exists(), reason="no Debian /etc/nginx to start from"
    ),
    pytest.mark.skipif(
        not _namespaces_work(), reason="needs root and mount namespaces (unshare --mount)"
    ),
]


def in_installed_etc(root: Path, *argv: str) -> list[str]:
    """argv run with the installed root's /etc as /etc, in a namespace of its own."""
    tmpfs = " ".join(
        f"mount -t tmpfs none {d} &&" for d in PRIVATE if Path(d).is_dir()
    )  # fmt: skip
    script = f'mount --bind "$0/etc" /etc && {tmpfs} exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(root), *argv]


@dataclass
class Console:
    made: HubRoot
    http_port: int
    https_port: int
    ca: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def client(self) -> httpx.Client:
        """A seat's browser: trusts the county CA and nothing else. It connects from
        127.0.0.2, so the hub can tell it from nginx (127.0.0.1, the trusted proxy)."""
        context = ssl.create_default_context(cafile=str(self.ca))
        transport = httpx.HTTPTransport(verify=context, local_address=SEAT)
        return httpx.Client(base_url=self.url, transport=transport, timeout=10)


def unit_command(made: HubRoot) -> list[str]:
    """The installed liandong-hub.service's ExecStart, with this test's program and root."""
    unit = made.path("/etc/systemd/system/liandong-hub.service").read_text()
    argv = shlex.split(re.search(r"(?m)^ExecStart=(.+)$", unit).group(1))  # type: ignore[union-attr]
    assert argv[0] == "/opt/liandong/bin/liandong-hub"
    config = argv.index("--config") + 1
    argv[config] = str(made.path(argv[config]))  # the same file, seen from outside the root
    return argv[1:]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    made = make_hub_root(tmp_path / "root")
    shutil.copytree(HOST_NGINX, made.root / "etc/nginx", symlinks=True)  # as Debian's package
    http_port, https_port = _two_ports()
    run_install(made, "--http-port", str(http_port), "--https-port", str(https_port))
    hub = Process("liandong-hub", unit_command(made), tmp_path / "hub.log")
    hub.start()
    nginx: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: _answers(made.hub_port) or not hub.alive(), 20, "the hub to listen")
        assert hub.alive(), hub.read_log()
        for attempt in range(3):
            # free_port() only says a port was free a moment ago: another test may bind it
            # before nginx does, and nginx then gives up after its own retries (while the
            # ports it did bind already accept connections). Such a start is tried again,
            # installed on new ports; any other failure fails the test.
            if attempt:
                http_port, https_port = _two_ports()
                run_install(made, "--http-port", str(http_port), "--https-port", str(https_port))
            nginx_log = tmp_path / f"nginx-{attempt}.log"
            nginx = _start_nginx(made, nginx_log)
            if _nginx_serves(nginx, http_port, https_port, made.pki / "ca/ca.crt"):
                break
            _stop(nginx)
            log = nginx_log.read_text()
            assert "Address already in use" in log, log
        else:
            pytest.fail("nginx found its ports taken three times")
        yield Console(made, http_port, https_port, made.pki / "ca/ca.crt")
    finally:
        if nginx is not None:
            _stop(nginx)
        hub.stop()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _two_ports() -> tuple[int, int]:
    while True:
        ports = free_port(), free_port()
        if ports[0] != ports[1]:
            return ports


def _start_nginx(made: HubRoot, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            in_installed_etc(made.root, str(NGINX), "-g", "daemon off;"),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _stop(nginx: subprocess.Popen[bytes]) -> None:
    if nginx.poll() is None:
        os.killpg(nginx.pid, signal.SIGTERM)
    nginx.wait(10)


def _nginx_serves(
    nginx: subprocess.Popen[bytes], http_port: int, https_port: int, ca: Path
) -> bool:
    """True once nginx itself answers on both ports; False if it exited first. A port that
    merely accepts connections is not enough: nginx listens on each port as it binds it,
    before it knows whether it can bind the rest."""

    county = ssl.create_default_context(cafile=str(ca))

    def answered() -> bool:
        try:
            plain = httpx.get(f"http://127.0.0.1:{http_port}/", timeout=2)
            secure = httpx.get(f"https://127.0.0.1:{https_port}/healthz", verify=county, timeout=2)
        except httpx.HTTPError:
            return False
        return plain.headers.get("server", "").startswith("nginx") and secure.status_code == 200

    wait_for(lambda: nginx.poll() is not None or answered(), 20, "nginx to answer on both ports")
    return nginx.poll() is None


def test_installed_configuration_passes_nginx_t_unchanged(tmp_path: Path) -> None:
    """The twin of the serving test: Debian's nginx.conf with the installed site, checked
    as a hub machine would check it after the installer (default ports 80 and 443)."""
    made = make_hub_root(tmp_path / "root")
    shutil.copytree(HOST_NGINX, made.root / "etc/nginx", symlinks=True)
    run_install(made)
    done = subprocess.run(
        in_installed_etc(made.root, str(NGINX), "-t"),
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    # The check has teeth: a key that is not the certificate's is refused.
    key = made.path("/etc/liandong-hub/tls/console.key")
    key.write_bytes(made.path("/etc/liandong-hub/tls/console.crt").read_bytes())
    done = subprocess.run(
        in_installed_etc(made.root, str(NGINX), "-t"),
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "console.key" in done.stderr


def create_admin(console: Console) -> str:
    """`liandong-hub create-admin` as docs/deployment.md runs it; the one-time password."""
    made = subprocess.run(
        [str(Path(sys.executable).with_name("liandong-hub")), "create-admin", "--config",
         str(console.made.hub_toml), "chief"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


def csrf(page: httpx.Response) -> str:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, page.text
    return token.group(1)


def test_seat_logs_in_over_https_and_gets_a_secure_cookie(console: Console) -> None:
    password = create_admin(console)
    with console.client() as seat:
        page = seat.get("/login")
        assert page.status_code == 200, page.text
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert page.url.scheme == "https"
        done = seat.post(
            "/login",
            data={"csrf_token": csrf(page), "username": "chief", "password": password},
            # As a browser sends it, plus a forged X-Forwarded-For that must not count.
            headers={"Referer": f"{console.url}/login", "X-Forwarded-For": "10.9.9.9"},
        )
        assert done.status_code == 302, done.text
        cookie = [c for c in done.headers.get_list("set-cookie") if c.startswith("session=")][-1]
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
        # The cookie comes back over HTTPS: the one-time password must now be changed.
        assert done.headers["location"].endswith("/password")
        change = seat.get("/password")
        assert change.status_code == 200 and 'name="csrf_token"' in change.text
        assert change.headers["strict-transport-security"] == "max-age=31536000"
    # The audit log names the seat, as nginx saw it, not nginx and not the forged address.
    [row] = [r for r in audit.entries(console.made.pki / "hub/hub.sqlite3") if r.action == "login"]
    assert row.remote_addr == SEAT and row.outcome == "ok"


def test_plain_http_is_sent_to_https(console: Console) -> None:
    plain = httpx.get(
        f"http://127.0.0.1:{console.http_port}/login?next=%2F", follow_redirects=False, timeout=10
    )
    assert plain.status_code == 301
    assert plain.headers["location"] == f"{console.url}/login?next=%2F"
    with console.client() as seat:  # and the hub's own plain port stays on the loopback
        assert seat.get("/healthz").json() == {"ok": True, "county": "shuangbai"}


def test_only_the_county_ca_is_trusted_and_the_names_match(console: Console) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{console.url}/healthz", timeout=10)  # the system's CAs do not know it
    # The installer's own probe, by the console's DNS name (SNI and name check).
    done = subprocess.run(
        [sys.executable, str(INSTALL.parent / "lib/probe.py"), NAMES[0],
         str(console.https_port), str(console.ca)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "200, county shuangbai" in done.stdout
    wrong = subprocess.run(
        [sys.executable, str(INSTALL.parent / "lib/probe.py"), "other.gov.local",
         str(console.https_port), str(console.ca)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert wrong.returncode == 1 and "other.gov.local" in wrong.stderr


def test_live_board_streams_through_nginx(console: Console) -> None:
    """The board's event stream is not held back in nginx's buffers: a call posted after
    the stream opened reaches the seat at once."""
    once = create_admin(console)
    new = "duty-room-2026"
    with console.client() as seat:
        referer = {"Referer": f"{console.url}/login"}
        page = seat.get("/login")
        data = {"csrf_token": csrf(page), "username": "chief", "password": once}
        assert seat.post("/login", data=data, headers=referer).status_code == 302
        page = seat.get("/password")
        data = {"csrf_token": csrf(page), "old": once, "new": new, "repeat": new}
        assert seat.post("/password", data=data, headers=referer).status_code == 302
        with seat.stream("GET", "/events", timeout=10) as events:
            assert events.status_code == 200
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.iter_lines()
            assert next(lines) == "retry: 3000"
            hub = f"http://127.0.0.1:{console.made.hub_port}"
            status, _ = api.post_incident(hub, console.made.intake_key, api.incident_data("N1"))
            assert status == 201
            received = [next(lines) for _ in range(3)]  # "", "event: change", "data: ..."
    assert "event: change" in received, received
