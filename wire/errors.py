"""The one exception every rejection of a message raises.

Receivers count rejections by `reason` (a short stable code for metrics) and log `str(e)`,
which is written for a person: it says what was wrong and, where it helps, what to check.
"""

from __future__ import annotations

REASONS = frozenset(
    {
        "too_big",
        "not_utf8",
        "not_json",
        "not_object",
        "bad_version",
        "unknown_kind",
        "wrong_direction",
        "invalid",
        "unsigned",
        "bad_signature",
        "wrong_unit",
        "bad_topic",
        "bad_id",
    }
)


class WireError(ValueError):
    """A message, topic or identifier that must be rejected."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:  # a programming error, not bad input
            raise AssertionError(f"unknown WireError reason {reason!r}")
        super().__init__(message)
        self.reason = reason
