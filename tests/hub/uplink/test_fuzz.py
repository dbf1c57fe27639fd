"""Issue 11, fuzz: hostile JSON through the real broker into the hub's uplink.

Each example publishes a few messages as power-co (on its `up`, `state` and tracker topics:
JSON text with huge numbers, deep nesting, lone surrogates, raw and escaped control
characters, wrong types; some signed with power-co's real key so they pass the signature and
reach the typed checks), then a legitimate report from water-co, which must be applied
within a second. The hub must never fail on its own (`internal_error`) nor leave a message
unacknowledged. Examples are few and shrinking is off, to keep the run to a few seconds.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.hub.harness import COUNTY, Terminal
from tests.hub.uplink.conftest import Hubs, health, publish, refused, version_of
from tests.support import samples
from tests.support.wait import wait_for
from wire import kinds as k
from wire import topics
from wire.signing import Signer, canonical

pytestmark = pytest.mark.broker
UNIT = "power-co"
TOPICS = {
    "up": topics.up(COUNTY, UNIT),
    "state": topics.state(COUNTY, UNIT),
    "tracker": topics.tracker(COUNTY, UNIT, "car1"),
}

# ---- JSON text, including what Python cannot round-trip ---------------------------------
_chars = st.characters(codec=None, categories=["Cs", "Cc", "Lo", "Ll", "Nd", "Po", "Zs"])
_strings = st.text(_chars, max_size=12)
_numbers = st.one_of(
    st.integers().map(str),
    st.integers(4301, 6000).map(lambda n: "9" * n),  # int() refuses these
    st.integers(20, 400).map(lambda n: "-" + "1" * n),
    st.sampled_from(["1e999", "-1e999", "1e-999", "NaN", "Infinity", "-0", "1E400", "0.0"]),
    st.floats().map(repr),
)
_text_leaves = st.one_of(
    st.sampled_from(["null", "true", "false"]),
    _numbers,
    _strings.map(lambda s: json.dumps(s)),  # escaped: lone surrogates, \u0000 ... survive
    _strings.map(lambda s: '"' + s.replace('"', "").replace("\\", "") + '"'),  # raw
)


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.dictionaries(_strings.map(json.dumps), children, max_size=4).map(
            lambda d: "{" + ",".join(f"{key}:{v}" for key, v in d.items()) + "}"
        ),
    )


_text_values = st.one_of(
    st.recursive(_text_leaves, _containers, max_leaves=12),
    st.integers(1, 30_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 12_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
_times = st.sampled_from(
    [
        '"2026-01-05T01:00:00Z"',
        '"0001-01-01T00:00:00+08:00"',
        '"9999-12-31T23:59:59-08:00"',
        '"1970-01-01T00:00:00Z"',
        '"2026-13-45T99:00:00Z"',
        "1767574800",
        "null",
    ]
)
_kinds = st.sampled_from([*k.UP_KINDS, "state", "order", "", "health\u0000"])


@st.composite
def _envelope_text(draw: st.DrawFn) -> bytes:
    """An envelope-shaped text with a hostile body, time or kind, signed or not."""
    kind = json.dumps(draw(_kinds))
    body = draw(_text_values)
    at = draw(_times)
    sig = draw(st.sampled_from(['"AAAA"', '""', "null", '"' + "A" * 86 + '=="', "[1]"]))
    text = (
        f'{{"v":1,"id":"01JFUZZ000000000000000001","kind":{kind},"unit":"{UNIT}",'
        f'"at":{at},"body":{body},"sig":{sig}}}'
    )
    return text.encode("utf-8", "surrogatepass")  # raw surrogates: not UTF-8 at all


@st.composite
def _tracker_text(draw: st.DrawFn) -> bytes:
    """An OwnTracks location with hostile values for the fields the hub reads."""
    fields = {name: draw(_text_values) for name in ("lat", "lon", "tst", "acc", "tid")}
    for name in draw(st.sets(st.sampled_from(sorted(fields)))):
        fields[name] = draw(st.sampled_from(["24.689", "101.641", "1767574800", "10"]))
    text = '{"_type":"location",' + ",".join(f'"{n}":{v}' for n, v in fields.items()) + "}"
    return text.encode("utf-8", "surrogatepass")


# ---- signed with the unit's real key: past the signature, into the typed checks ---------
_py_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Lo", "Ll", "Nd"]), max_size=12),
)
_py_values = st.recursive(
    _py_leaves,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


@st.composite
def _signed(draw: st.DrawFn, signer: Signer) -> bytes:
    kind = draw(st.sampled_from(sorted(k.UP_KINDS)))
    body: Any = msgspec.to_builtins(samples.bodies()[kind])
    how = draw(st.sampled_from(["field", "extra", "whole", "time"]))
    at: Any = draw(_times.map(json.loads))
    if how == "field" and body:
        body[draw(st.sampled_from(sorted(body)))] = draw(_py_values)
    elif how == "extra":
        body[draw(st.text(max_size=8))] = draw(_py_values)
    elif how == "whole":
        body = draw(_py_values)
    obj = {"v": 1, "id": draw(st.from_regex(r"\A[0-9A-Z]{26}\Z")), "kind": kind, "unit": UNIT}
    obj |= {"at": at, "body": body}
    obj["sig"] = signer.sign(canonical(obj))
    return canonical(obj)


def _messages(signer: Signer) -> st.SearchStrategy[list[tuple[str, bytes, bool]]]:
    """1 to 3 (channel, payload, retain) of power-co; retained only on `up`, which the hub
    clears (a retained one elsewhere would outlive the example)."""
    payloads = st.one_of(
        _envelope_text(),
        _tracker_text(),
        _text_values.map(lambda t: t.encode("utf-8", "surrogatepass")),
        _signed(signer),
        st.binary(max_size=64),
    )
    one = st.tuples(
        st.sampled_from(sorted(TOPICS)), payloads, st.sampled_from([False] * 3 + [True])
    )
    return st.lists(one.map(lambda m: (m[0], m[1], m[2] and m[0] == "up")), min_size=1, max_size=3)


HUGE = (
    b'{"v":1,"id":"01JFUZZ000000000000000001","kind":"health","unit":"power-co",'
    b'"at":"2026-01-05T01:00:00Z","body":{"outbox_depth":' + b"9" * 5000 + b'},"sig":"AAAA"}'
)


def test_hostile_json_never_holds_up_another_units_report(
    hubs: Hubs, terminals: dict[str, Terminal]
) -> None:
    hub = hubs.start()
    power, water = terminals[UNIT], terminals["water-co"]
    sent = [0]

    @settings(
        max_examples=40,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(batch=_messages(power.signer))
    @example(batch=[("up", HUGE, False)] * 25)  # 20 would fill the broker's in-flight window
    @example(batch=[("up", b"[" * 30_000 + b"]" * 30_000, False)])
    @example(batch=[("up", b'{"v":1,"id":"\\ud800\\udfff\\ud800"}', False)])
    @example(batch=[("tracker", b'{"_type":"location","lat":' + b"1" * 5000 + b"}", False)])
    def run(batch: list[tuple[str, bytes, bool]]) -> None:
        for channel, payload, retain in batch:
            publish(power.mqtt, TOPICS[channel], payload[: 64 * 1024 + 10], retain=retain)
        sent[0] += 1
        version = f"w-{sent[0]}"
        water.send("health", health(version))
        wait_for(lambda: version_of(hub, "water-co") == version, timeout=1.0, what=version)
        assert hub.link.failures == 0
        assert refused(hub, UNIT, "internal_error") == 0

    run()
