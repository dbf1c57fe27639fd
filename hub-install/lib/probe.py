"""After a live install: open the console as a seat would, through nginx over HTTPS.

    python3 probe.py NAME PORT [CAFILE]

Connects to 127.0.0.1:PORT with NAME as the TLS server name (so DNS need not be ready),
checks the certificate against CAFILE (the county CA; empty: the system's trust), asks for
/healthz and prints what answered. The hub's unit is Type=simple, so right after
`systemctl restart` nginx may answer 502 for a few seconds while the hub loads: the probe
asks again for up to PROBE_WAIT seconds (60) before it reports the last answer, as an HTTP
status (not a JSON error: the VM rehearsal printed "Expecting value: line 1 column 1" for
nginx's 502 page). System python3, standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import sys
import time


def ask(name: str, port: int, context: ssl.SSLContext) -> tuple[int, str, bytes]:
    """One GET /healthz through nginx: (status, reason, body)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        conn = http.client.HTTPConnection(name, port)
        conn.sock = tls
        conn.request("GET", "/healthz", headers={"Host": name})
        reply = conn.getresponse()
        return reply.status, reply.reason, reply.read()


def main() -> int:
    name, port = sys.argv[1], int(sys.argv[2])
    cafile = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    context = ssl.create_default_context(cafile=cafile)
    deadline = time.monotonic() + float(os.environ.get("PROBE_WAIT", "60"))
    where = f"https://{name}:{port}/healthz"
    while True:
        try:
            status, reason, body = ask(name, port, context)
        except ssl.SSLError as e:  # a certificate problem does not go away by waiting
            print(f"  probe     {where}: {e}", file=sys.stderr)
            return 1
        except OSError as e:
            status, reason, body = 0, str(e), b""
        if status == 200 or (status not in (0, 502, 503, 504) or time.monotonic() > deadline):
            break
        time.sleep(1)
    if status != 200:
        print(f"  probe     {where}: {'HTTP ' + str(status) if status else ''} {reason}".rstrip())
        return 1
    try:
        county = json.loads(body).get("county")
    except ValueError:
        county = None
    print(f"  probe     {where}: {status}, county {county}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
