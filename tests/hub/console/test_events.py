"""The server-sent event stream behind the live board."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock


@pytest.fixture
def streams() -> Iterator[Callable[[FlaskClient], Iterator[str]]]:
    """Open `/events` as a browser would; every stream is closed after the test."""
    opened = []

    def open_stream(client: FlaskClient) -> Iterator[str]:
        response = client.get("/events", buffered=False)
        opened.append(response)
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        return (c.decode() if isinstance(c, bytes) else c for c in response.response)

    yield open_stream
    for response in opened:
        response.close()


def test_a_hub_change_reaches_the_stream(
    as_role: Callable[[str], FlaskClient],
    service: TestService,
    streams: Callable[[FlaskClient], Iterator[str]],
) -> None:
    stream = streams(as_role("operator"))
    assert next(stream).startswith("retry:")
    view, _ = service.intake(incident_data(), source="cad-110")
    change = next(stream)
    assert change.startswith("event: change\n") and view.id in change
    service.close_incident(view.id, by="t")
    assert '"closed": true' in next(stream)


def test_an_escalation_is_its_own_event(
    as_role: Callable[[str], FlaskClient],
    service: TestService,
    streams: Callable[[FlaskClient], Iterator[str]],
) -> None:
    stream = streams(as_role("operator"))
    next(stream)
    service.events.publish({"type": "escalation", "id": "01ORDER", "deadline": "ack"})
    assert next(stream).startswith("event: escalation\n")


def test_the_stream_ends_with_the_login_and_frees_its_subscription(
    as_role: Callable[[str], FlaskClient],
    service: TestService,
    app: Flask,
    clock: FakeClock,
    streams: Callable[[FlaskClient], Iterator[str]],
) -> None:
    app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.05
    stream = streams(as_role("operator"))
    next(stream)
    assert next(stream) == ": keep-alive\n\n"
    # The stream is not activity: 30 idle minutes later the login is over and so is the stream.
    clock.advance(31 * 60)
    assert list(stream) == []
    assert service.events._subs == []


def test_streams_past_the_limit_retry_later_and_a_closed_one_frees_its_place(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    """Each stream holds a server thread: past CONSOLE_MAX_STREAMS (4) the API would wait.
    (Streams are closed last-opened first: the test client keeps their request contexts on
    one stack, where a server gives each its own thread.)"""
    client = as_role("operator")

    def first_chunk() -> tuple[Any, bytes]:
        response = client.get("/events", buffered=False)
        chunk = next(iter(response.response))
        assert isinstance(chunk, bytes)
        return response, chunk

    opened = [first_chunk() for _ in range(4)]
    try:
        assert [chunk for _, chunk in opened] == [b"retry: 3000\n\n"] * 4
        over, chunk = first_chunk()
        assert chunk == b"retry: 10000\n\n" and list(over.response) == []  # ends, holds nothing
        assert len(service.events._subs) == 4
        opened.pop()[0].close()
        assert len(service.events._subs) == 3
        opened.append(first_chunk())
        assert opened[-1][1] == b"retry: 3000\n\n"
    finally:
        for response, _ in reversed(opened):
            response.close()
    assert service.events._subs == []


def test_a_stopping_hub_ends_open_streams_at_once(
    as_role: Callable[[str], FlaskClient],
    service: TestService,
    app: Flask,
    streams: Callable[[FlaskClient], Iterator[str]],
) -> None:
    """Hub.stop() closes the bus: a board stream ends now, not at its next heartbeat (a
    minute here) or when waitress gives up on the thread it holds."""
    app.config["CONSOLE_SSE_HEARTBEAT_S"] = 60
    client = as_role("operator")
    stream = streams(client)
    assert next(stream).startswith("retry:")
    service.events.close()
    assert list(stream) == []
    assert service.events._subs == []
    late = streams(client)  # a browser reconnecting meanwhile is not held either
    assert next(late).startswith("retry:") and list(late) == []
