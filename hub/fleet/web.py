"""`GET /releases/<file>`: the bundles the hub keeps, for terminals to download. Public on
purpose: a bundle holds our own software and no secret, and a terminal trusts it only by
its hash (in the signed command) and the release key's signature. In production nginx
serves it over HTTPS (and may ask for the unit's client certificate)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from werkzeug.wrappers import Response

from hub.fleet.service import Fleet

EXTENSION = "liandong.fleet"

bp = Blueprint("fleet_download", __name__)


@bp.route("/releases/<file>")
def download(file: str) -> Response:
    fleet: Fleet | None = current_app.extensions.get(EXTENSION)
    if fleet is None:
        abort(404)
    path = fleet.releases.path(file)
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/x-tar", as_attachment=True, max_age=3600)
