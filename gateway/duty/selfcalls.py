"""自接警情 (双轨制): a call the duty room took from the public itself, recorded at the kiosk.

Tier-1 units take calls directly as well as obeying the centre, and the assessment counts
them. A recorded call is one signed `selfcall` report put in the outbox in one transaction,
like every report, so it survives a power cut and goes up whenever the link is back. The
caller's phone is masked here, before signing: the full number is never stored on the
terminal nor sent (docs/wire.md says why).
"""

from __future__ import annotations

import logging
from datetime import datetime

from gateway.errors import InvalidInputError
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import Sender
from gateway.uplink.signer import ReportSigner
from wire.clock import Clock
from wire.errors import WireError
from wire.ids import new_id
from wire.kinds import SelfCallBody
from wire.phone import mask_phone

log = logging.getLogger(__name__)


class SelfCalls:
    def __init__(
        self, store: Store, signer: ReportSigner, outbox: Outbox, sender: Sender, clock: Clock
    ) -> None:
        self.store = store
        self.signer = signer
        self.outbox = outbox
        self.sender = sender
        self.clock = clock

    def record(
        self,
        *,
        category: str,
        township: str,
        address: str,
        taken_at: datetime,
        summary: str,
        result_code: str,
        result_text: str,
        caller_phone: str = "",
        arrived_at: datetime | None = None,
        needs_assist: bool = False,
        assist_note: str = "",
    ) -> str:
        """Store the call's signed report; returns its `call_id`. Raises InvalidInputError
        (nothing stored) when the fields cannot make a valid report."""
        now = self.clock.now()
        if taken_at > now:
            raise InvalidInputError("接警时间不能晚于现在 (the call cannot be taken in the future)")
        if arrived_at is not None and not taken_at <= arrived_at <= now:
            raise InvalidInputError(
                "到场时间须在接警之后、现在之前 (arrival must fall between the call and now)"
            )
        try:
            body = SelfCallBody(
                call_id=new_id(),
                category=category,
                address=address,
                township=township,
                taken_at=taken_at,
                summary=summary,
                result_code=result_code,  # type: ignore[arg-type]
                result_text=result_text,
                caller_phone=mask_phone(caller_phone),
                arrived_at=arrived_at,
                needs_assist=needs_assist,
                assist_note=assist_note if needs_assist else "",
            )
            with self.store.tx():
                self.outbox.add(self.signer.make("selfcall", body))
        except WireError as e:
            raise InvalidInputError(f"记录无效 (not a valid record): {e}") from e
        log.info("self-recorded call %s (%s, %s) queued", body.call_id, category, township)
        self.sender.kick()
        return body.call_id
