"""Build the hub's `Fleet` from hub.toml and mount its download route and its state on the
web app (the console's fleet page reads `app.extensions[EXTENSION]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from hub.fleet import web
from hub.fleet.service import Fleet

if TYPE_CHECKING:
    from hub.config import HubConfig
    from hub.dispatch.desk import Desk


def build_fleet(config: HubConfig, desk: Desk, app: Flask) -> Fleet:
    # set again by the hub once bound, when [fleet] url is not given (hub/runtime.py)
    url = config.release_url or f"http://{config.listen_host}:{config.listen_port}/releases/"
    fleet = Fleet(
        config.db_path,
        config.releases_dir or config.db_path.parent / "releases",
        config.release_key or config.pki_dir / "release" / "release.pub",
        desk.registry,
        desk.clock,
        lambda units, offer, by: desk.offer_update(units, offer, by=by),
        url,
        revoked=lambda: desk.revoked_units,
    )
    fleet.releases.migrate()
    app.extensions[web.EXTENSION] = fleet
    app.register_blueprint(web.bp)
    return fleet
