"""A GSM/4G modem on the hub machine: a thin AT-command layer over pyserial, PDU mode.

Per message: `AT+CPIN?` (the SIM is ready) and `AT+CREG?` (registered on a network),
then for each part `AT+CMGS=<length>`, the PDU at the "> " prompt, Ctrl-Z, and the
modem's `+CMGS: <ref>` and `OK`. Anything else (`+CMS ERROR: n`, `ERROR`, silence past
the timeout, a port that vanished) is a `SendError`, and the port is closed so the next
try starts from a clean `ATE0` / `AT+CMEE=1` / `AT+CMGF=0`.

Why not python-gsmmodem-new: it has had no release since 2021, forces RTS/CTS and
DSR/DTR on the port, runs some twenty call, USSD and storage commands at connect that an
SMS sender does not need, hard-codes a 35 s wait per part, and its package does not import
under warnings-as-errors (invalid escapes in its regexes). What we need is five commands.

A long message is several PDUs: when part 2 fails after part 1 went, the retry sends
part 1 again (with the same concatenation reference, so the phone can join them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import serial

from hub.alerts.channel import ChannelDown, SendError
from hub.alerts.pdu import encode
from hub.alerts.settings import ModemSettings

log = logging.getLogger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"
CMS_MEANING = {
    300: "ME failure",
    301: "SMS service of ME reserved",
    302: "operation not allowed",
    304: "invalid PDU mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    322: "SIM memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    500: "unknown error",
}
REGISTERED = {"1", "5"}  # home network, roaming


def _final(line: str) -> bool:
    return line in ("OK", "ERROR") or line.startswith(("+CMS ERROR:", "+CME ERROR:"))


class Modem:
    """One modem; one message at a time (the port is not shared)."""

    name = "modem"

    def __init__(
        self,
        settings: ModemSettings,
        *,
        opener: Callable[..., Any] = serial.serial_for_url,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._opener = opener
        self._monotonic = monotonic
        self._port: Any = None
        self._lock = threading.Lock()

    # ---- the conversation ----------------------------------------------------------
    def _exchange(self, data: bytes, timeout: float, *, prompt: bool = False) -> list[str]:
        """Write `data`; read lines until a final result code (or the "> " prompt)."""
        port = self._port
        port.write(data)
        buf = b""
        end = self._monotonic() + timeout
        while self._monotonic() < end:
            buf += port.read(port.in_waiting or 1)
            lines = [x.strip() for x in buf.decode("ascii", "replace").split("\r\n")]
            done = [x for x in lines[:-1] if x]  # complete lines only
            if prompt and buf.rstrip(b" ").endswith(b">"):
                return done
            if done and _final(done[-1]):
                return done
        command = data.decode("ascii", "replace")[:20].strip()
        raise ChannelDown(f"modem did not answer {command!r} within {timeout:g} s")

    def _at(self, command: str, *, prompt: bool = False, timeout: float | None = None) -> list[str]:
        lines = self._exchange(
            command.encode("ascii") + b"\r",
            self.settings.command_timeout_s if timeout is None else timeout,
            prompt=prompt,
        )
        _raise_on_error(command, lines)
        return lines

    def _open(self) -> None:
        if self._port is not None:
            return
        try:
            self._port = self._opener(
                self.settings.port, baudrate=self.settings.baudrate, timeout=0.05
            )
        except (serial.SerialException, OSError, ValueError) as e:
            raise ChannelDown(f"cannot open the modem port {self.settings.port}: {e}") from None
        self._at("ATE0")  # no echo: every line read is the modem's answer
        self._at("AT+CMEE=1")  # numbered errors
        self._at("AT+CMGF=0")  # PDU mode

    def _ready(self) -> None:
        """The SIM is unlocked and the modem is on a network, or say which is not."""
        try:
            pin = _value(self._at("AT+CPIN?"), "+CPIN:")
        except SendError as e:  # +CME ERROR: 10, SIM not inserted
            raise ChannelDown(f"SIM not ready ({e})") from None
        if pin == "SIM PIN" and self.settings.pin:
            self._at(f'AT+CPIN="{self.settings.pin}"')
            pin = _value(self._at("AT+CPIN?"), "+CPIN:")
        if pin != "READY":
            raise ChannelDown(f"SIM not ready (+CPIN: {pin or '?'})")
        reg = _value(self._at("AT+CREG?"), "+CREG:")
        fields = [f.strip() for f in reg.split(",")]
        if len(fields) < 2 or fields[1] not in REGISTERED:
            raise ChannelDown(f"no network: the modem is not registered (+CREG: {reg})")

    def send(self, phone: str, text: str, *, key: str, reference: int) -> str:
        with self._lock:
            try:
                self._open()
                self._ready()
                refs = []
                for pdu in encode(phone, text, reference):
                    self._at(f"AT+CMGS={pdu.tpdu_length}", prompt=True)
                    lines = self._exchange(
                        pdu.hex.encode("ascii") + CTRL_Z, self.settings.send_timeout_s
                    )
                    _raise_on_error("AT+CMGS", lines)
                    refs.append(_value(lines, "+CMGS:"))
                    if not refs[-1]:
                        raise SendError(f"modem answered OK without +CMGS: {lines}")
                return ",".join(refs)
            except ValueError as e:  # a number no PDU can carry
                raise SendError(str(e)) from None
            except SendError:
                self._drop()
                raise
            except (serial.SerialException, OSError) as e:
                self._drop()
                raise ChannelDown(f"modem port: {e}") from None

    def _drop(self) -> None:
        """Close the port after a failure; the next message re-initialises the modem."""
        port, self._port = self._port, None
        if port is not None:
            try:
                port.write(ESC)  # leave a half-entered PDU
                port.close()
            except (serial.SerialException, OSError):
                log.debug("closing the modem port after a failure failed too", exc_info=True)

    def close(self) -> None:
        with self._lock:
            port, self._port = self._port, None
            if port is not None:
                port.close()


def _value(lines: list[str], prefix: str) -> str:
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _raise_on_error(command: str, lines: list[str]) -> None:
    last = lines[-1] if lines else ""
    if last.startswith(("+CMS ERROR:", "+CME ERROR:")):
        code = last.split(":", 1)[1].strip()
        meaning = CMS_MEANING.get(int(code), "") if code.isdigit() else ""
        raise SendError(f"{command}: {last}" + (f" ({meaning})" if meaning else ""))
    if last == "ERROR":
        raise SendError(f"{command}: ERROR")
