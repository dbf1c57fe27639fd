"""JSON from outside, parsed so that the only failure is WireError (reason `not_json`).

`json.loads` fails in more ways than `JSONDecodeError`: a plain ValueError for an integer
of more than 4,300 digits, RecursionError for deep nesting, and it accepts what our
canonical form refuses (NaN, and 1e999 as infinity). A receiver that does not expect one
of these leaves the message unacknowledged, which is how one unit's garbage once stalled a
county's uplink (issue 11). Envelopes and tracker fixes both parse here.
"""

from __future__ import annotations

import json
import math
from typing import Any

from wire.errors import WireError

MAX_NUMBER_CHARS = 40
"""No field of the contract needs a number longer than this; Python's own int() refuses
past 4,300 digits with a plain ValueError, and converting long ones costs quadratic time."""


def _reject_constant(name: str) -> None:
    raise WireError("not_json", f"{name} is not allowed in a message")


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise WireError("not_json", f"message holds a number of {len(text)} characters")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise WireError("not_json", f"message holds a number of {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as infinity
        raise WireError("not_json", f"number {text} is out of range")
    return value


def parse_json(text: str, what: str = "message") -> Any:
    """`json.loads` that fails only with WireError (reason `not_json`), whatever the text.

    Shared by every receiver of JSON from outside (envelopes, tracker fixes): a parse
    failure of any kind is a refusal with a stable reason, never an exception that a
    receiver does not expect and so leaves the message unacknowledged."""
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except WireError:
        raise
    except json.JSONDecodeError as e:
        raise WireError("not_json", f"{what} is not JSON: {e.msg} at char {e.pos}") from None
    except RecursionError:
        raise WireError("not_json", f"{what} is nested too deeply") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as e:
        raise WireError("not_json", f"{what} cannot be parsed: {type(e).__name__}") from None
