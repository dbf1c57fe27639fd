"""After a live install: open the console as a seat would, through nginx over HTTPS.

    python3 probe.py NAME PORT [CAFILE]

Connects to 127.0.0.1:PORT with NAME as the TLS server name (so DNS need not be ready),
checks the certificate against CAFILE (the county CA; empty: the system's trust), asks for
/healthz and prints what answered. System python3, standard library only.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import sys


def main() -> int:
    name, port = sys.argv[1], int(sys.argv[2])
    cafile = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            conn = http.client.HTTPConnection(name, port)
            conn.sock = tls
            conn.request("GET", "/healthz", headers={"Host": name})
            reply = conn.getresponse()
            body = json.loads(reply.read() or b"{}")
    except (OSError, ValueError, ssl.SSLError) as e:
        print(f"  probe     https://{name}:{port}/healthz: {e}", file=sys.stderr)
        return 1
    print(f"  probe     https://{name}:{port}/healthz: {reply.status}, county {body.get('county')}")
    return 0 if reply.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
