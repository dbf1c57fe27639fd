"""The judging rules on hand-made facts, and the monotonicity property of the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.assessment.evidence import End, OrderFacts, Report
from hub.assessment.judge import judge
from hub.assessment.rubric import Rubric, load_rubric
from hub.assessment.score import score_of

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RUBRIC: Rubric = load_rubric()


def facts(order_id: str = "o1", end: End | None = None, **offsets: float) -> OrderFacts:
    """An order dispatched at T0 with the notice's deadlines and reports at `offsets` s."""
    f = OrderFacts(
        order_id=order_id,
        incident_id="i1",
        source_id="J1",
        unit="housing",
        role="lead",
        township="tuodian",
        category="gas-smell",
        drill=False,
        dispatched_at=T0,
        dispatch_event=f"d-{order_id}",
        deadlines={
            "receive": T0 + timedelta(seconds=30),
            "ack": T0 + timedelta(minutes=3),
            "arrive": T0 + timedelta(minutes=30),
            "feedback": T0 + timedelta(hours=24),
        },
        end=end,
    )
    for seq, (kind, s) in enumerate(offsets.items()):
        at = T0 + timedelta(seconds=s)
        f.reports.append(
            Report(f"e-{order_id}-{kind}", seq, kind, at, at, "unit:housing", False, None)
        )
    return f


LATER = T0 + timedelta(days=3)


def test_offline_ack_on_time_counts_on_time() -> None:
    f = facts(received=10, ack=100)
    r = f.reports[1]
    f.reports[1] = Report(
        r.event_id, r.seq, r.type, r.at, r.at + timedelta(hours=2), r.source, False, None
    )
    row = judge(f, LATER)
    assert row.stages["ack"].status == "on_time" and row.offline
    assert row.stages["ack"].bucket == "1-2分钟"


def test_cancelled_before_a_deadline_voids_it_but_not_what_was_already_due() -> None:
    end = End("cancelled", T0 + timedelta(minutes=10), "x", "误报", None)
    row = judge(facts(end=end, received=5), LATER)
    assert row.stages["receive"].status == "on_time"
    assert row.stages["ack"].status == "missed"  # due at 3 min, before the cancel
    assert row.stages["arrive"].status == "void"  # due at 30 min, after it
    assert row.stages["feedback"].status == "void"
    assert not row.open


def test_a_report_made_before_the_end_counts_even_if_it_arrived_after() -> None:
    end = End("reassigned", T0 + timedelta(minutes=10), "x", "改派", "o2")
    row = judge(facts(end=end, received=5, ack=60, arrived=900), LATER)
    assert row.stages["ack"].status == "on_time"
    assert row.stages["arrive"].status == "void"  # arrived after the order was taken away


def test_pending_until_due_then_missed() -> None:
    f = facts(received=5, ack=20)
    assert judge(f, T0 + timedelta(hours=1)).stages["feedback"].status == "pending"
    assert judge(f, T0 + timedelta(hours=25)).stages["feedback"].status == "missed"
    assert judge(f, T0 + timedelta(hours=1)).open


def test_an_upheld_appeal_excuses_a_late_mark() -> None:
    row = judge(facts(received=5, ack=400), LATER, frozenset({("o1", "ack")}))
    assert row.stages["ack"].status == "excused" and row.stages["ack"].met


def test_exact_deadline_is_on_time_and_in_the_lower_bucket() -> None:
    row = judge(facts(received=30, ack=180), LATER)
    assert row.stages["receive"].status == "on_time"
    assert row.stages["ack"].status == "on_time" and row.stages["ack"].bucket == "2-3分钟"


offsets = st.fixed_dictionaries(
    {
        "received": st.floats(0, 120),
        "ack": st.floats(0, 900),
        "arrived": st.floats(0, 7200),
        "feedback": st.floats(0, 200_000),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    orders=st.lists(offsets, min_size=1, max_size=8), pick=st.integers(0, 7), frac=st.floats(0, 1)
)
def test_moving_an_ack_earlier_never_lowers_the_score(
    orders: list[dict[str, float]], pick: int, frac: float
) -> None:
    """Moving one ack earlier (staying after dispatch) never lowers the unit's score."""
    rows = [judge(facts(f"o{i}", **o), LATER) for i, o in enumerate(orders)]
    before = score_of("housing", "住建局", rows, [], RUBRIC).score
    i = pick % len(orders)
    moved = dict(orders[i])
    moved["ack"] = moved["ack"] * frac
    rows[i] = judge(facts(f"o{i}", **moved), LATER)
    after = score_of("housing", "住建局", rows, [], RUBRIC).score
    assert before is not None and after is not None
    assert after >= before - 1e-9
