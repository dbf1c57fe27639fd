"""Property-based tests: any change to a signed message fails; any bytes raise only WireError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire.kinds import ALL_KINDS

SIGNER = Signer(new_key())
SIGNED = {
    kind: encode(kind, "power-co", body, SIGNER, at=samples.T0)[1]
    for kind, body in samples.bodies().items()
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(ALL_KINDS)),
    data=st.data(),
)
def test_any_change_to_a_signed_message_is_rejected(kind: str, data: st.DataObject) -> None:
    raw = bytearray(SIGNED[kind])
    pos = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[pos]), label="byte")
    raw[pos] = new
    try:
        decoded = decode(bytes(raw), SIGNER.verifier)
    except WireError:
        return
    # JSON allows a few changes that mean the same object (e.g. whitespace is not in our
    # canonical form, but an escape like \u0041 for A could be); they must decode to the
    # identical signed content, never to anything else.
    original = decode(SIGNED[kind], SIGNER.verifier)
    assert (decoded.id, decoded.kind, decoded.unit, decoded.at, decoded.body) == (
        original.id,
        original.kind,
        original.unit,
        original.at,
        original.body,
    )


@settings(max_examples=500)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_raise_wire_error(raw: bytes) -> None:
    with contextlib.suppress(WireError):
        decode(raw, SIGNER.verifier)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "v": json_values,
            "id": json_values,
            "kind": st.sampled_from(sorted(ALL_KINDS)) | json_values,
            "unit": json_values,
            "at": json_values,
            "body": json_values,
            "sig": json_values,
        },
    )
)
def test_arbitrary_json_objects_only_raise_wire_error(obj: dict[str, object]) -> None:
    import json

    with contextlib.suppress(WireError):
        decode(json.dumps(obj).encode(), SIGNER.verifier)
