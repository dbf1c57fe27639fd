"""Hostile XML: billion laughs and external entities are refused having read nothing."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import pytest

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.parse import parse_bytes

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""


def test_billion_laughs_refused(registry: Registry, mapping: Mapping) -> None:
    with pytest.raises(GateRejection) as e:
        parse_bytes(LAUGHS, registry, mapping)
    assert e.value.reason == "dtd"


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_external_entity_reads_nothing(
    scheme: str, tmp_path: Path, registry: Registry, mapping: Mapping
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    hits: list[object] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            hits.append(server.accept())

    t = threading.Thread(target=serve)
    t.start()
    where = secret.as_uri() if scheme == "file" else f"http://127.0.0.1:{server.getsockname()[1]}/x"
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "{where}">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    ).encode()
    with pytest.raises(GateRejection) as e:
        parse_bytes(xxe, registry, mapping)
    t.join()
    server.close()
    assert e.value.reason == "dtd" and "TOP-SECRET" not in str(e.value.to_json())
    assert hits == []  # no connection was made


def test_xinclude_is_not_followed(tmp_path: Path, registry: Registry, mapping: Mapping) -> None:
    secret = tmp_path / "s.txt"
    secret.write_text("TOP-SECRET")
    doc = (
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2" '
        'xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret.as_uri()}" parse="text"/></alert>'
    ).encode()
    with pytest.raises(GateRejection) as e:
        parse_bytes(doc, registry, mapping)
    assert "TOP-SECRET" not in str(e.value.to_json())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\x00\x01garbage", "garbage"),
        (b'{"source_id": "\xff"}', "not_utf8"),
        (b'<?xml version="1.0" encoding="UTF-16"?><a/>', "encoding"),
        (b'{"source_id": "J1", "category": ', "truncated"),
        (b"{" + b" " * (1024 * 1024) + b"}", "too_large"),
    ],
)
def test_limits(data: bytes, reason: str, registry: Registry, mapping: Mapping) -> None:
    with pytest.raises(GateRejection) as e:
        parse_bytes(data, registry, mapping)
    assert e.value.reason == reason and e.value.zh and e.value.en
