"""The receipt chain's kinds (alarmed, printed, print_failed): strict bodies, signed,
refused when malformed, and any body hypothesis can build either round-trips or is refused
with a WireError, never half-decoded."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire.signing import canonical

SIGNER = Signer(new_key())
ORDER = "01JORDER0000000000000001"


def _signed_with_body(kind: str, body: object) -> bytes:
    _, raw = encode(kind, "power-co", samples.bodies()[kind], SIGNER, at=samples.T0)
    obj = dict(json.loads(raw))
    obj["body"] = body
    obj.pop("sig")
    obj["sig"] = SIGNER.sign(canonical(obj))
    return canonical(obj)


@pytest.mark.parametrize(
    ("kind", "body", "words"),
    [
        ("alarmed", {"order_id": ORDER, "rev": 0}, "rev"),
        ("alarmed", {"rev": 1}, "order_id"),
        ("printed", {"order_id": ORDER, "reprint": "yes"}, "reprint"),
        ("print_failed", {"order_id": ORDER}, "reason"),
        ("print_failed", {"order_id": ORDER, "reason": "on_fire"}, "reason"),
        ("print_failed", {"order_id": ORDER, "reason": "offline", "detail": "x" * 300}, "detail"),
        ("printed", {"order_id": ORDER, "ok": True}, "unknown field"),
    ],
)
def test_malformed_bodies_are_refused(kind: str, body: dict[str, object], words: str) -> None:
    with pytest.raises(WireError) as e:
        decode(_signed_with_body(kind, body), SIGNER.verifier, unit="power-co", direction="up")
    assert e.value.reason == "invalid" and words in str(e.value)


def test_they_are_up_kinds_only() -> None:
    _, raw = encode("alarmed", "power-co", samples.bodies()["alarmed"], SIGNER, at=samples.T0)
    with pytest.raises(WireError) as e:
        decode(raw, SIGNER.verifier, direction="down")
    assert e.value.reason == "wrong_direction"


bodies = st.one_of(
    st.tuples(
        st.just("alarmed"),
        st.fixed_dictionaries({"order_id": st.text(max_size=70), "rev": st.integers(-2, 9)}),
    ),
    st.tuples(
        st.just("printed"),
        st.fixed_dictionaries(
            {"order_id": st.just(ORDER), "rev": st.integers(-2, 9), "reprint": st.booleans()}
        ),
    ),
    st.tuples(
        st.just("print_failed"),
        st.fixed_dictionaries(
            {
                "order_id": st.just(ORDER),
                "reason": st.sampled_from(["paper_out", "offline", "error", "jam", ""]),
                "detail": st.text(max_size=300),
            }
        ),
    ),
)


@settings(max_examples=200)
@given(bodies)
def test_any_body_round_trips_or_is_refused(case: tuple[str, dict[str, object]]) -> None:
    kind, body = case
    try:
        msg = decode(_signed_with_body(kind, body), SIGNER.verifier, unit="power-co")
    except WireError as e:
        assert e.reason == "invalid"
        return
    assert msg.kind == kind
    for field, value in body.items():
        assert getattr(msg.body, field) == value
