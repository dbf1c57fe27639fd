"""Whatever bytes arrive, a parser gives a GateMessage or raises a GateRejection: never
any other exception (a crash of the bridge) and never a hang."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateMessage, GateRejection
from hub.sources.boundary.parse import parse_bytes
from tests.hub.sources.boundary.conftest import CAP_DIR, EIDO_DIR, cap_files

REAL = [p.read_bytes() for p in cap_files(CAP_DIR) + cap_files(CAP_DIR / "invalid")]
if (EIDO_DIR / "nena-sample-call-transfer.json").exists():
    REAL.append((EIDO_DIR / "nena-sample-call-transfer.json").read_bytes())
REAL.append(
    b'{"source_id": "J5323220000000123", "category": "power-cut", "township": "tuodian",'
    b' "address": "\xe5\xa6\xa5\xe7\x94\xb8", "reported_at": "2026-11-28T14:30:00+08:00"}'
)


def only_message_or_rejection(data: bytes, registry: Registry, mapping: Mapping) -> None:
    try:
        assert isinstance(parse_bytes(data, registry, mapping), GateMessage)
    except GateRejection as e:
        assert e.reason and e.zh and e.en


@given(st.binary(max_size=2048))
def test_arbitrary_bytes(registry: Registry, mapping: Mapping, data: bytes) -> None:
    only_message_or_rejection(data, registry, mapping)


@given(
    st.sampled_from(REAL),
    st.lists(
        st.tuples(st.integers(0, 40000), st.binary(max_size=8), st.integers(0, 8)), max_size=4
    ),
    st.integers(0, 40000),
)
def test_mutated_real_files(
    registry: Registry,
    mapping: Mapping,
    base: bytes,
    edits: list[tuple[int, bytes, int]],
    cut: int,
) -> None:
    data = bytearray(base)
    for at, insert, drop in edits:
        at %= len(data) + 1
        data[at : at + drop] = insert
    if cut % 3 == 0:
        data = data[: cut % (len(data) + 1)]  # truncated, as a half-copied file is
    only_message_or_rejection(bytes(data), registry, mapping)


@pytest.mark.parametrize("ct", ["application/cap+xml", "application/emergency+json", None])
def test_content_types(ct: str | None, registry: Registry, mapping: Mapping) -> None:
    for data in REAL:
        only_message_or_rejection(data, registry, mapping)
        with contextlib.suppress(GateRejection):
            parse_bytes(data, registry, mapping, content_type=ct)
