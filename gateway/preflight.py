"""`check-config`: whether this terminal can work, checked for real, before it has to.

A gateway.toml can be valid and the terminal still useless: a broker name that does not
resolve, a certificate the broker refuses, no printer on /dev/ld-printer, the kiosk's
port taken. `run` would start anyway and keep retrying; the installer on site needs each
of those said once, in Chinese, with what to do. Each check returns the problems it
found; `check_all` runs every one (the network ones unless offline).

The broker check stops at TLS: the broker accepted the handshake and did not reject the
unit's certificate in the moment after it (TLS 1.3 reports a refused client certificate
only then). It sends no MQTT CONNECT on purpose: the broker uses the certificate's CN as
the client id, so a CONNECT would take over the running terminal's session.
"""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import serial

from gateway.config import GatewayConfig, check_files
from gateway.errors import ConfigError
from wire.tls import client_context

TIMEOUT_S = 5.0
REJECT_WAIT_S = 1.0
"""How long to listen after the handshake for the broker's refusal of the certificate."""


@dataclass(frozen=True)
class Problem:
    zh: str  # what is wrong and what to do, for the installer
    detail: str = ""  # the system's own words, for the technician

    def __str__(self) -> str:
        return f"{self.zh}（{self.detail}）" if self.detail else self.zh


def files(config: GatewayConfig) -> list[Problem]:
    try:
        check_files(config)
    except ConfigError as e:
        return [Problem("证书或密钥文件缺失：请重新拷入本单位的配置包", str(e))]
    return []


def broker(config: GatewayConfig) -> list[Problem]:
    """Resolve the broker's name, then a TLS handshake with the unit's certificate."""
    m = config.mqtt
    where = f"{m.host}:{m.port}"
    try:
        socket.getaddrinfo(m.host, m.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        return [
            Problem(
                f"中心服务器名称 {m.host} 无法解析：请检查网络与 DNS（或 /etc/hosts），"
                "或改 gateway.toml 的 [mqtt] host",
                str(e),
            )
        ]
    try:
        ctx = client_context(m.ca, m.cert, m.key)
    except (OSError, ValueError) as e:
        return [Problem("本单位证书无法读取：请重新拷入本单位的配置包", str(e))]
    try:
        with (
            socket.create_connection((m.host, m.port), timeout=TIMEOUT_S) as raw,
            ctx.wrap_socket(raw, server_hostname=m.host) as tls,
        ):
            tls.settimeout(REJECT_WAIT_S)
            try:
                if tls.recv(1) == b"":
                    return [Problem(f"中心服务器 {where} 接受 TLS 后立即断开：请联系中心技术人员")]
            except TimeoutError:
                return []  # waiting for our CONNECT: the certificate was accepted
    except ssl.SSLCertVerificationError as e:
        return [
            Problem(
                f"中心服务器 {where} 的证书不被信任：ca.crt 是否为本县的？"
                "[mqtt] host 是否为证书上的名称？",
                e.verify_message,
            )
        ]
    except ssl.SSLError as e:
        return [
            Problem(
                f"中心服务器 {where} 拒绝了本单位的证书（可能已吊销或不是本县签发）：请联系中心",
                str(e.reason or e),
            )
        ]
    except ConnectionRefusedError as e:
        return [Problem(f"中心服务器 {where} 拒绝连接：消息服务未运行或端口不对", str(e))]
    except TimeoutError:
        return [Problem(f"中心服务器 {where} 无应答：请检查网络与防火墙")]
    except OSError as e:
        return [Problem(f"无法连接中心服务器 {where}：请检查网络", str(e))]
    return []


def device(what: str, port: str, baudrate: int) -> list[Problem]:
    """Open a serial device by path or pyserial URL (a `file:` port is the demo's paper)."""
    if port.startswith("file:"):
        folder = Path(port.removeprefix("file:")).parent
        if not os.access(folder, os.W_OK):
            return [Problem(f"{what}输出文件夹 {folder} 不可写", port)]
        return []
    if "://" not in port and not Path(port).exists():
        return [
            Problem(
                f"{what} {port} 不存在：检查{what}是否接好、通电，udev 规则是否已安装"
                "（firmware-config/install.sh）",
            )
        ]
    try:
        serial.serial_for_url(port, baudrate=baudrate, timeout=0.1).close()
    except (serial.SerialException, OSError, ValueError) as e:
        return [Problem(f"{what} {port} 无法打开：是否被其他程序占用，或权限不足", str(e))]
    return []


def kiosk_port(config: GatewayConfig) -> list[Problem]:
    k = config.kiosk
    if k.port == 0 or not k.enabled:
        return []
    family = socket.AF_INET6 if ":" in k.host else socket.AF_INET
    try:
        socket.create_server((k.host, k.port), family=family).close()
    except OSError as e:
        return [
            Problem(
                f"看板端口 {k.host}:{k.port} 无法使用：是否已有 liandong-gateway 在运行"
                "（systemctl status liandong-gateway）？或改 gateway.toml 的 [kiosk] listen",
                str(e),
            )
        ]
    return []


def check_all(config: GatewayConfig, *, offline: bool = False) -> list[Problem]:
    """Every problem found; empty when the terminal can work."""
    found = files(config)
    if not offline and not found:
        found += broker(config)
    found += device("打印机", config.printer.port, config.printer.baudrate)
    if config.gps is not None:
        found += device("GPS 接收器", config.gps.port, config.gps.baudrate)
    found += kiosk_port(config)
    return found
