"""The thermal printer: ESC/POS in Chinese over any pyserial port, with status by DLE EOT.

`gateway.devices.escpos_commands` holds the few commands a slip uses (alignment, size,
native QR code, cut: the bytes python-escpos emitted, without its 10 MiB) and pyserial
moves the bytes, so a USB-serial printer, a network printer (`socket://10.1.2.3:9100`) and
a test port (`loop://`, a pty) are the same code.

Text is encoded here, never by an ESC/POS library: python-escpos sends text as GB18030
only when a character lies in U+4E00-U+9FA5 and falls back to code pages otherwise, which
garbles Chinese punctuation and rarer characters. We switch the printer to Chinese mode
(FS &) and send every line encoded with the printer's configured encoding ourselves
(GB18030 by default; cheap printers differ).

`file:PATH` appends the bytes to a file instead: the demo's paper. A character device that
is not a tty (`/dev/usb/lp0`, a USB printer-class printer under usblp) is opened by
`gateway.devices.usblp` instead of pyserial; its status also comes from LPGETSTATUS.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import serial

from gateway.devices.escpos_commands import FEED_AND_CUT, INIT, qr, style
from gateway.devices.plain import one_line
from gateway.devices.slip import Slip
from gateway.devices.usblp import CharDevicePort, is_char_device
from gateway.errors import PrinterError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrinterConfig:
    """The printer's settings (gateway.toml `[printer]`)."""

    port: str
    """A pyserial URL or device (`/dev/ttyUSB0`, `socket://h:9100`, `loop://`), a USB
    printer-class device (`/dev/usb/lp0`), or `file:PATH` to append the ESC/POS bytes to a
    file (the demo's paper)."""
    baudrate: int = 9600
    encoding: str = "gb18030"


PrinterState = Literal["ok", "paper_out", "paper_low", "offline", "unknown"]

FS_CHINESE_ON = b"\x1c\x26"
COMMAND_BYTES = bytes(range(0x20)) + b"\x7f"
"""Bytes an ESC/POS printer may read as (part of) a command; never sent as text."""
DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_PAPER = b"\x10\x04\x04"
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12  # bits 1 and 4 set, 0 and 7 clear in every status byte
_OFFLINE = 0x08
_PAPER_END = 0x60
_PAPER_NEAR_END = 0x0C


class Port(Protocol):
    def write(self, data: bytes, /) -> int | None: ...
    def read(self, size: int = 1, /) -> bytes: ...
    def reset_input_buffer(self) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class FilePort:
    """Appends to a file; never answers a status query (like a printer without DLE EOT)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("ab")

    def write(self, data: bytes, /) -> int:
        return self._f.write(data)

    def read(self, size: int = 1, /) -> bytes:
        return b""

    def reset_input_buffer(self) -> None:
        return None

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def open_port(url: str, baudrate: int, timeout: float) -> Port:
    """A pyserial port by device or URL, a non-tty character device, or `file:PATH`."""
    if url.startswith("file:"):
        return FilePort(Path(url.removeprefix("file:")))
    if is_char_device(url):
        device = CharDevicePort.open(url, timeout)
        if device is not None:
            return device
    port: Port = serial.serial_for_url(
        url, baudrate=baudrate, timeout=timeout, write_timeout=max(timeout, 5.0)
    )
    return port


def text_bytes(text: str, encoding: str) -> bytes:
    """One line of text as printer bytes that hold no command.

    The slip's words are already plain (gateway.devices.plain); this is the last guard before the
    port, so whatever built the slip, a control character never becomes a command. The
    encoded bytes are checked too: GB18030, GBK, Big5 and Shift-JIS never put a byte below
    0x20 or 0x7F inside a character, but a misconfigured encoding (UTF-16's NULs,
    ISO-2022's ESC sequences) would, and those bytes are dropped rather than obeyed.
    """
    return one_line(text).encode(encoding, errors="replace").translate(None, COMMAND_BYTES)


def render(slip: Slip, encoding: str, qr_size: int = 6) -> bytes:
    """ESC/POS bytes of a slip: large centred title, left-aligned lines, native QR code.

    The commands come from `gateway.devices.escpos_commands` (the bytes python-escpos
    emitted for this layout, which a test still checks against it); the text from
    `text_bytes`."""
    out = bytearray(INIT + FS_CHINESE_ON)
    out += style(align="center", bold=True, size="double")
    if slip.banner:
        out += text_bytes(slip.banner, encoding) + b"\n"
    out += text_bytes(slip.title, encoding) + b"\n"
    out += style(align="left", bold=False, size="normal")
    for text in slip.lines:
        out += text_bytes(text, encoding) + b"\n"
    if slip.qr:
        out += style(align="center") + qr(slip.qr, qr_size) + style(align="left")
    for text in slip.footer:
        out += text_bytes(text, encoding) + b"\n"
    out += FEED_AND_CUT
    return bytes(out)


def render_raw(slip: Slip, encoding: str) -> bytes:
    """The fallback when the layout fails: plain text, Chinese mode, a few blank lines."""
    body = b"\n".join(text_bytes(line, encoding) for line in slip.text().splitlines())
    return FS_CHINESE_ON + body + b"\n\n\n\n\n"


def parse_status(printer: bytes, paper: bytes) -> PrinterState:
    """Interpret DLE EOT 1 and DLE EOT 4 answers (one byte each, empty if no answer)."""
    valid_p = len(printer) == 1 and printer[0] & _FIXED_MASK == _FIXED_BITS
    valid_r = len(paper) == 1 and paper[0] & _FIXED_MASK == _FIXED_BITS
    if valid_p and printer[0] & _OFFLINE:
        return "offline"
    if valid_r:
        if paper[0] & _PAPER_END:
            return "paper_out"
        if paper[0] & _PAPER_NEAR_END:
            return "paper_low"
        return "ok"
    return "ok" if valid_p else "unknown"


class Printer:
    """One printer. `state` is the last thing we learned about it, for health and kiosk."""

    def __init__(
        self,
        config: PrinterConfig,
        status_timeout: float = 0.5,
        qr_size: int = 6,
        opener: Callable[[str, int, float], Port] = open_port,
    ) -> None:
        self.config = config
        self._opener = opener
        """How the port is opened: `open_port`; tests hand in a device simulator here."""
        self.note = ""
        """Why the state is `unknown`, when it is, for the health report and the log."""
        self.qr_size = qr_size
        self.status_timeout = status_timeout
        self.state: PrinterState = "unknown"
        self._port: Port | None = None
        self._lock = threading.Lock()

    def _open(self) -> Port:
        if self._port is None:
            try:
                self._port = self._opener(
                    self.config.port, self.config.baudrate, self.status_timeout
                )
            except (serial.SerialException, OSError, ValueError) as e:
                self.state = "offline"
                raise PrinterError(f"printer {self.config.port} is offline: {e}") from e
        return self._port

    def _drop(self) -> None:
        if self._port is not None:
            # pyserial's socket:// close() skips closing the socket when shutdown() fails,
            # which it does once the printer has gone: close it ourselves.
            sock = getattr(self._port, "_socket", None)
            with contextlib.suppress(serial.SerialException, OSError):
                self._port.close()
            if sock is not None:
                sock.close()
            self._port = None

    def _query(self, port: Port, command: bytes) -> bytes:
        port.write(command)
        port.flush()
        return port.read(1)

    def status(self) -> PrinterState:
        """Ask the printer (DLE EOT); `unknown` when it does not answer, which many don't."""
        with self._lock:
            try:
                port = self._open()
                port.reset_input_buffer()
                state = self._ask(port)
            except PrinterError:
                return self.state
            except (serial.SerialException, OSError) as e:
                log.warning("printer %s vanished: %s", self.config.port, e)
                self._drop()
                state = "offline"
            self.state = state
            return state

    def _ask(self, port: Port) -> PrinterState:
        """DLE EOT, and on a USB printer-class device LPGETSTATUS as well: the ioctl's
        paper-out or off line wins, since it works even when DLE EOT goes unanswered."""
        lp = port.lp_status() if isinstance(port, CharDevicePort) else None
        if lp in ("paper_out", "offline"):
            return lp
        state = parse_status(self._query(port, DLE_EOT_PRINTER), self._query(port, DLE_EOT_PAPER))
        if state == "unknown" and lp == "ok":
            return "ok"
        if state == "unknown" and not self.note:
            self.note = (
                f"printer {self.config.port} answers no status query "
                "(DLE EOT unanswered, no LPGETSTATUS): paper state unknown until a slip fails"
            )
            log.warning("%s", self.note)
        return state

    def send(self, data: bytes, before_write: Callable[[], None] | None = None) -> None:
        """Write one job; raise PrinterError if the printer cannot take it.

        `before_write` runs once the printer has said it can take the job, just before the
        first byte goes: the spool records there that the job may from now on be on paper.
        """
        state = self.status()
        if state in ("offline", "paper_out"):
            raise PrinterError(f"printer is {state}")
        if before_write is not None:
            before_write()
        with self._lock:
            try:
                port = self._open()
                port.write(data)
                port.flush()
            except (serial.SerialException, OSError) as e:
                self._drop()
                self.state = "offline"
                raise PrinterError(f"printer vanished mid-job: {e}") from e
        after = self.status()  # paper can run out during the job: then print it again
        if after in ("offline", "paper_out"):
            raise PrinterError(f"printer became {after} during the job")

    def print_slip(self, slip: Slip, before_write: Callable[[], None] | None = None) -> None:
        try:
            data = render(slip, self.config.encoding, self.qr_size)
        except Exception:  # any layout failure: the words still reach the paper
            log.exception("slip layout failed; printing raw text")
            data = render_raw(slip, self.config.encoding)
        self.send(data, before_write)

    def close(self) -> None:
        with self._lock:
            self._drop()
