"""A small TCP relay in front of the broker, one per terminal, that can cut the network.

The demo runs every terminal's MQTT connection through one of these, so that "a unit goes
dark" is a real loss of the TCP link (the broker sees the connection drop and publishes the
unit's will; the terminal's link fails and retries) rather than a flag inside the gateway.
While cut, new connections are accepted and closed at once, like a firewall's reset.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import struct
import threading

log = logging.getLogger(__name__)

_CHUNK = 65536


class NetCut:
    """Relays 127.0.0.1:`port` to `target`; `cut()` drops every connection, `restore()` ends it."""

    def __init__(self, target: tuple[str, int], name: str = "netcut") -> None:
        self.target = target
        self.name = name
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = int(self._server.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._threads: list[threading.Thread] = []
        self._cut = False
        self._closed = False
        self.cuts = 0
        self._acceptor = threading.Thread(target=self._accept, name=f"{name}-accept", daemon=True)

    @property
    def is_cut(self) -> bool:
        return self._cut

    def start(self) -> NetCut:
        self._acceptor.start()
        return self

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until `restore()`."""
        with self._lock:
            self._cut = True
            self.cuts += 1
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            _close_pair(pair)
        log.info("%s: network cut", self.name)

    def restore(self) -> None:
        with self._lock:
            self._cut = False
        log.info("%s: network restored", self.name)

    def close(self) -> None:
        """Stop relaying and join every thread."""
        with self._lock:
            self._closed = True
            pairs, self._pairs = self._pairs, []
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        for pair in pairs:
            _close_pair(pair)
        if self._acceptor.is_alive():
            self._acceptor.join(5)
        with self._lock:
            threads, self._threads = self._threads, []
        for t in threads:
            t.join(5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                refuse = self._cut or self._closed
            if refuse:
                _reset(conn)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError as e:
                log.warning("%s: broker unreachable: %s", self.name, e)
                _reset(conn)
                continue
            pair = (conn, upstream)
            t = threading.Thread(target=self._relay, args=(pair,), name=f"{self.name}-relay")
            with self._lock:
                if self._cut or self._closed:
                    _close_pair(pair)
                    continue
                self._pairs.append(pair)
                self._threads = [x for x in self._threads if x.is_alive()]
                self._threads.append(t)
            t.start()

    def _relay(self, pair: tuple[socket.socket, socket.socket]) -> None:
        a, b = pair
        other = {a: b, b: a}
        with selectors.DefaultSelector() as sel:
            try:
                sel.register(a, selectors.EVENT_READ)
                sel.register(b, selectors.EVENT_READ)
            except (OSError, ValueError):
                return
            while True:
                try:
                    ready = sel.select(timeout=0.5)
                except (OSError, ValueError):
                    break
                if a.fileno() < 0 or b.fileno() < 0:
                    break
                done = False
                for key, _ in ready:
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(_CHUNK)
                        if not data:
                            done = True
                            break
                        other[src].sendall(data)
                    except OSError:
                        done = True
                        break
                if done:
                    break
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        _close_pair(pair)


def _reset(conn: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset', as through a firewall."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _close_pair(pair: tuple[socket.socket, socket.socket]) -> None:
    for s in pair:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
