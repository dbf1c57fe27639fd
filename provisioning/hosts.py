"""Whether the broker's names resolve here.

Every terminal connects to the first `--broker-host` and checks it against the broker
certificate's SANs. A name that resolves nowhere (a DNS record "to be set up later" that
never was) makes every terminal fail to connect, with nothing on the hub to say why, so
`init` refuses one unless told `--allow-unresolved`, and `check` warns about it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

Resolver = Callable[[str], object]


def _getaddrinfo(host: str) -> object:
    return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def unresolved(hosts: list[str], resolve: Resolver = _getaddrinfo) -> list[str]:
    """The names among `hosts` that do not resolve on this machine (IPs always do)."""
    missing = []
    for host in hosts:
        if is_ip(host):
            continue
        try:
            resolve(host)
        except (OSError, UnicodeError):  # socket.gaierror is an OSError
            missing.append(host)
    return missing
