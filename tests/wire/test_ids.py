"""Message ids are ULIDs exactly as python-ulid makes them (the oracle, a dev dependency
since issue 17: wire/ids.py says why the terminal does not import it)."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from wire.ids import check_message_id, new_id, ulid


@given(ms=st.integers(0, (1 << 48) - 1), randomness=st.binary(min_size=10, max_size=10))
def test_ulid_matches_python_ulid(ms: int, randomness: bytes) -> None:
    ours = ulid(ms, randomness)
    assert ours == str(ULID.from_bytes(ms.to_bytes(6, "big") + randomness))
    parsed = ULID.from_str(ours)
    assert int(parsed.milliseconds) == ms and parsed.bytes[6:] == randomness


def test_new_id_is_a_valid_ulid_of_now_and_sorts_by_time() -> None:
    before = time.time_ns() // 1_000_000
    first = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= ULID.from_str(first).milliseconds <= after
    assert check_message_id(first) == first and len(first) == 26
    time.sleep(0.002)
    assert new_id() > first
    assert len({new_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(("ms", "randomness"), [(-1, bytes(10)), (1 << 48, bytes(10)), (0, b"")])
def test_ulid_refuses_what_is_not_one(ms: int, randomness: bytes) -> None:
    with pytest.raises(ValueError, match="48-bit"):
        ulid(ms, randomness)


def test_extremes() -> None:
    assert ulid(0, bytes(10)) == "0" * 26
    assert ulid((1 << 48) - 1, b"\xff" * 10) == "7" + "Z" * 25
    assert ulid(0, os.urandom(10))[:10] == "0" * 10
