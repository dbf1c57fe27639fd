"""A hub's dispatch parts in-process for tests: the desk the console and the API drive,
plus the store and the parts a test needs to look at or drive directly.

`TestService` is test code only: the hub itself hands each part just what it uses
(hub/runtime.py), and nothing in `hub/` holds all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from hub.db.store import Store
from hub.dispatch.desk import Desk
from hub.dispatch.intake import IntakeWindow
from hub.dispatch.updates import UpdateOffers
from hub.metrics import HubMetrics
from hub.parts import Parts, open_parts
from hub.registry import Registry
from hub.web import create_app
from wire.clock import Clock
from wire.signing import Signer


class TestService(Desk):
    """The desk, with the store and the parts beside it for assertions and set-up."""

    __test__ = False  # not a pytest test class

    def __init__(self, parts: Parts) -> None:
        super().__init__(
            parts.incoming,
            parts.actions,
            parts.reads,
            live=parts.live,
            db_path=parts.store.path,
            phone=parts.phone,
            rollcalls=parts.rollcalls,
            rollcall_reads=parts.rollcall_reads,
            updates=UpdateOffers(
                parts.store, parts.ledger, parts.registry, parts.clock, parts.wake
            ),
        )
        self.parts = parts
        self.store: Store = parts.store
        self.metrics: HubMetrics = parts.metrics

    @classmethod
    def open(
        cls,
        db_path: Path | str,
        *,
        registry: Registry | None = None,
        signer: Signer | None = None,
        clock: Clock | None = None,
    ) -> TestService:
        return cls(open_parts(db_path, registry=registry, signer=signer, clock=clock))

    @property
    def stale_after_s(self) -> float:
        return self.parts.presence.stale_after_s

    @property
    def intake_window(self) -> IntakeWindow:
        return self.parts.incoming.window

    @intake_window.setter
    def intake_window(self, window: IntakeWindow) -> None:
        self.parts.incoming.window = window


def web_app(service: TestService, *, test_config: dict[str, Any] | None = None) -> Flask:
    """`hub.web.create_app` over the service's parts, as `Hub` builds it."""
    return create_app(
        service,
        gate=service.parts.gate,
        metrics=service.metrics,
        assessment_store=service.store,
        test_config=test_config,
    )
