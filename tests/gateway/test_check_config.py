"""`liandong-gateway check-config` checks for real: the broker's name and a TLS handshake
with the unit's certificate (a real Mosquitto), the printer and GPS devices, the kiosk's
port. Each problem is one line in Chinese; the exit status is 1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from demo.broker import Broker
from gateway.cli import main
from tests.gateway.conftest import UNIT, TerminalFiles
from tests.support.pki import ThrowawayPKI

pytestmark = pytest.mark.broker


def check(path: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["check-config", "--config", str(path), *extra])


def errors(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("错误")]


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_all_well_with_a_real_broker(files: TerminalFiles, broker: Broker) -> None:
    files.broker_port = broker.port
    ok = check(files.write())
    assert ok.exit_code == 0, ok.output
    assert "配置正确 / configuration OK" in ok.output


def test_unresolvable_broker_missing_printer_busy_port_each_one_line(
    files: TerminalFiles, taken: int
) -> None:
    path = files.write()
    text = path.read_text().replace('"127.0.0.1"', '"hub.gov.invalid"', 1)
    text = text.replace('"loop://"', '"/dev/ld-printer-absent"')
    text = text.replace('"127.0.0.1:0"', f'"127.0.0.1:{taken}"')
    path.write_text(text)
    bad = check(path)
    assert bad.exit_code == 1
    lines = errors(bad)
    assert len(lines) == 3, bad.output
    assert "中心服务器名称 hub.gov.invalid 无法解析" in lines[0]
    assert "打印机 /dev/ld-printer-absent 不存在" in lines[1]
    assert f"看板端口 127.0.0.1:{taken} 无法使用" in lines[2]
    assert "Traceback" not in bad.output
    offline = check(path, "--offline")
    assert len(errors(offline)) == 2 and "无法解析" not in offline.output


def test_a_kiosk_turned_off_needs_no_port(files: TerminalFiles, taken: int) -> None:
    """`[kiosk] enabled = false`: the taken port is no problem, and the summary says off."""
    files.kiosk = f"127.0.0.1:{taken}"
    path = files.write()
    path.write_text(path.read_text().replace("[kiosk]\n", "[kiosk]\nenabled = false\n"))
    ok = check(path, "--offline")
    assert ok.exit_code == 0, ok.output
    assert "kiosk off" in ok.output and not errors(ok)
    path.write_text(path.read_text().replace("enabled = false", "enabled = true"))
    (line,) = errors(check(path, "--offline"))
    assert f"看板端口 127.0.0.1:{taken} 无法使用" in line


def test_broker_down_and_a_certificate_it_refuses(
    files: TerminalFiles, broker: Broker, tmp_path: Path
) -> None:
    files.broker_port = broker.port
    path = files.write()
    stranger = ThrowawayPKI.create(tmp_path / "other-county")  # a CA the broker does not trust
    cert, key = stranger.client(UNIT)
    mine = files.pki.client(UNIT)
    text = path.read_text()
    path.write_text(text.replace(str(mine[0]), str(cert)).replace(str(mine[1]), str(key)))
    refused = check(path)
    assert refused.exit_code == 1
    (line,) = errors(refused)
    assert "拒绝了本单位的证书" in line
    path.write_text(text)
    broker.stop()
    down = check(path)
    (line,) = errors(down)
    assert f"中心服务器 127.0.0.1:{broker.port} 拒绝连接" in line


def test_gps_device_that_cannot_be_opened(files: TerminalFiles, tmp_path: Path) -> None:
    not_a_tty = tmp_path / "gps"
    not_a_tty.mkdir()
    files.gps = str(not_a_tty)
    bad = check(files.write(), "--offline")
    (line,) = errors(bad)
    assert f"GPS 接收器 {not_a_tty} 无法打开" in line


def test_run_with_the_kiosk_port_taken_is_one_line(
    files: TerminalFiles, broker: Broker, taken: int
) -> None:
    files.broker_port = broker.port
    files.kiosk = f"127.0.0.1:{taken}"
    cli = Path(sys.executable).parent / "liandong-gateway"
    done = subprocess.run(
        [str(cli), "run", "--config", str(files.write())],
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"看板端口 127.0.0.1:{taken} 无法使用" in done.stderr
    assert "Traceback" not in done.stderr
