"""The project's own JSON (the body of `POST /api/v1/incidents`) -> GateMessage.

Two optional keys exist only at the gate, because a file has no HTTP verb: `"kind"`
(`"new"`, the default, `"update"` or `"cancel"`) and `"reason"` (why a cancel). Everything
else is the intake body, validated by hub/intake.py; a later file for the same
`source_id` is an update whatever its kind says, never a second incident. The message id
is the file's SHA-256, so the same file taken twice is applied once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hub.sources.boundary.model import GateMessage, GateRejection, Kind
from hub.sources.boundary.rawbytes import utf8_text

_KINDS: tuple[Kind, ...] = ("new", "update", "cancel")


def parse_json(data: bytes) -> GateMessage:
    try:
        doc: Any = json.loads(utf8_text(data))
    except (json.JSONDecodeError, RecursionError) as e:
        line = getattr(e, "lineno", None)
        truncated = isinstance(e, json.JSONDecodeError) and e.pos >= len(e.doc.rstrip())
        raise GateRejection(
            "truncated" if truncated else "malformed",
            f"JSON 格式错误：{e}",
            f"malformed JSON: {e}",
            line=line,
        ) from None
    if not isinstance(doc, dict):
        raise GateRejection("malformed", "须为 JSON 对象", "must be a JSON object", field="body")
    kind = doc.pop("kind", "new")
    reason = doc.pop("reason", "")
    if kind not in _KINDS or not isinstance(reason, str):
        raise GateRejection(
            "invalid",
            "kind 须为 new、update 或 cancel；reason 须为文字",
            "kind: one of new, update, cancel; reason: a string",
            field="kind",
        )
    source_id = doc.get("source_id")
    return GateMessage(
        kind=kind,
        format="json",
        source_id=source_id if isinstance(source_id, str) else "",
        msg_id="sha256:" + hashlib.sha256(data).hexdigest(),
        intake=doc,
        drill=doc.get("drill") is True,
        reason=reason[:2000] or "110 撤销",
    )
