"""Issue 11, case 4: the console's units page shows a unit whose messages are refused.

"消息异常：N 条被拒" (English: "Messages refused: N") beside the unit, for refusals in the
last 24 hours, read from the exact counts (`rejected_counts`), not the kept sample.
"""

from __future__ import annotations

import pytest

from tests.hub.console.conftest import login, make_user
from tests.hub.harness import Terminal
from tests.hub.uplink.conftest import Hubs, health, publish_all, up, version_of
from tests.hub.uplink.test_flood import _forged
from tests.support.wait import wait_for

pytestmark = pytest.mark.broker


def test_the_units_page_shows_a_unit_whose_messages_are_refused(
    hubs: Hubs, terminals: dict[str, Terminal]
) -> None:
    hub = hubs.start()
    power = terminals["power-co"]
    publish_all(power.mqtt, up("power-co"), [_forged(i) for i in range(45)])
    power.send("health", health("after"))
    wait_for(lambda: version_of(hub, "power-co") == "after", what="refusals read")
    make_user(hub.desk, "duty-1", "operator")
    client = hub.app.test_client()
    assert login(client, "duty-1").status_code == 302
    page = client.get("/units").get_data(as_text=True)
    row = page[page.index('data-unit="power-co"') :]
    row = row[: row.index("</tr>")]
    assert "消息异常：45 条被拒" in row
    water = page[page.index('data-unit="water-co"') :]
    assert "消息异常" not in water[: water.index("</tr>")]
    client.get("/lang/en")
    page = client.get("/units").get_data(as_text=True)
    assert "Messages refused: 45" in page
