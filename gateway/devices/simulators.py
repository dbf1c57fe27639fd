"""Simulated hardware for tests and the demo: a network printer and a GPS on TCP.

They are simulators, not stubs (gpiozero's mock pins are the model): the printer keeps
the bytes it was sent, answers DLE EOT status queries like a real ESC/POS printer, can run
out of paper or be unplugged; `printed_text` turns its bytes back into what the paper says.
A terminal reaches them through its ordinary config: `socket://127.0.0.1:PORT`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

log = logging.getLogger(__name__)

_ESC, _FS, _GS, _DLE = 0x1B, 0x1C, 0x1D, 0x10
CUT = b"\x1dV\x00"
"""GS V 0, the full cut at the end of every slip (gateway.devices.escpos_commands)."""
_ESC_ARGS = {
    ord("@"): 0,
    ord("!"): 1,
    ord("E"): 1,
    ord("a"): 1,
    ord("d"): 1,
    ord("-"): 1,
    ord("M"): 1,
    ord("t"): 1,
    ord("G"): 1,
    ord("{"): 1,
    ord("V"): 1,
}


def strip_escpos(data: bytes) -> bytes:
    """Remove the ESC/POS commands the terminal sends, leaving the encoded text."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == _ESC and i + 1 < n:
            i += 2 + _ESC_ARGS.get(data[i + 1], 0)
        elif b == _FS and i + 1 < n:
            i += 2
        elif b == _GS and i + 1 < n:
            cmd = data[i + 1]
            if cmd == ord("(") and i + 4 < n:  # GS ( k pL pH data
                i += 5 + data[i + 3] + 256 * data[i + 4]
            elif cmd == ord("V"):
                i += 3 + (1 if i + 2 < n and data[i + 2] >= 65 else 0)
            else:
                i += 3
        elif b == _DLE and i + 1 < n and data[i + 1] == 0x04:
            i += 3
        else:
            out.append(b)
            i += 1
    return bytes(out)


def printed_text(data: bytes, encoding: str = "gb18030") -> str:
    """What a person would read on the paper."""
    return strip_escpos(data).decode(encoding, errors="replace")


class PrinterSimulator:
    """An ESC/POS network printer on 127.0.0.1 (port 0 = any free port)."""

    def __init__(self, port: int = 0, encoding: str = "gb18030") -> None:
        self.encoding = encoding
        self.port = port
        self.paper = True
        self.paper_low = False
        self.answers_status = True
        """False: a printer that reads DLE EOT but never answers (many cheap ones): the
        terminal waits out its status timeout before and after every job."""
        self.received = bytearray()
        """Everything that reached the paper (status queries excluded)."""
        self.queries = 0
        self._lock = threading.Lock()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> PrinterSimulator:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(4)
        self.port = s.getsockname()[1]
        self._server = s
        self._thread = threading.Thread(target=self._accept, args=(s,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Unplug: close the listening socket and every connection."""
        server, self._server = self._server, None
        if server:
            with contextlib.suppress(OSError):  # shutdown wakes the thread in accept()
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    @property
    def clients(self) -> int:
        """Connections open now: 0 after a terminal died means all it sent has arrived."""
        with self._lock:
            return len(self._conns)

    def text(self) -> str:
        with self._lock:
            return printed_text(bytes(self.received), self.encoding)

    def slips(self) -> list[str]:
        """What the paper says, one string per slip (cut to cut); a slip cut short by a
        printer that lost power or its link runs into the next one."""
        with self._lock:
            data = bytes(self.received)
        parts = data.split(CUT)
        return [printed_text(p, self.encoding) for p in parts[:-1]]

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            self.attach(conn)

    def attach(self, conn: socket.socket) -> PrinterSimulator:
        """Serve a socket already connected: one end of a socketpair standing in for a USB
        printer's character device (tests of `gateway.devices.usblp`)."""
        with self._lock:
            self._conns.append(conn)
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        return self

    def _status(self, n: int) -> bytes:
        byte = 18 | (96 if not self.paper else 0) | (12 if self.paper_low else 0) if n == 4 else 18
        return bytes([byte])

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._serve_until_closed(conn)
        finally:
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            conn.close()

    def _serve_until_closed(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            data = pending + chunk
            pending = b""
            out = bytearray()
            i = 0
            while i < len(data):
                j = data.find(b"\x10\x04", i)
                if j < 0:
                    tail = data[i:]
                    if tail.endswith(b"\x10"):
                        out += tail[:-1]
                        pending = b"\x10"
                    else:
                        out += tail
                    break
                out += data[i:j]
                if j + 2 >= len(data):
                    pending = data[j:]
                    break
                with self._lock:
                    self.queries += 1
                try:
                    if self.answers_status:
                        conn.sendall(self._status(data[j + 2]))
                except OSError:
                    return
                i = j + 3
            if out and self.paper:
                with self._lock:
                    self.received += out


class GpsSimulator:
    """A GPS receiver on TCP: every connected terminal gets the lines sent with `send`."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(4)
        self.port = int(self._server.getsockname()[1])
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._conns)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)

    def send(self, text: str) -> None:
        data = text.encode("ascii", errors="replace")
        with self._lock:
            for c in list(self._conns):
                try:
                    c.sendall(data)
                except OSError:  # the terminal went away: forget and close its socket
                    self._conns.remove(c)
                    c.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            for c in self._conns:
                c.close()
            self._conns.clear()
