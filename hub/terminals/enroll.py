"""`POST /api/v1/enroll`: a terminal's one-time token and CSR in, its certificate out.

The token (from `liandong-provision token`) is the credential: 256 random bits, used once,
for one unit, until it expires; only its hash is stored. The key is made on the terminal
and never leaves it. All checks are `provisioning.tokens.redeem`; this is only the door.
The hub's unit-certificate cache sees the new certificate by its file time. The answer also
carries the unit's `gateway.toml` as `liandong-provision enroll` writes it (`gateway`), so the
terminal's bundle is the same whichever way it was made.
A unit the registry marks `terminal = false` is refused (409) before its token is used.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from flask import Response, current_app, request

from hub.dispatch.desk import Desk
from hub.sources.api import _body, bp, error, reply
from hub.sources.jsonbody import load_object
from provisioning.configs import GatewayOptions, gateway_config
from provisioning.errors import EnrollmentError, ProvisioningError
from provisioning.layout import Layout
from provisioning.tokens import redeem

log = logging.getLogger(__name__)


@bp.post("/enroll")
def post_enroll() -> Response:
    pki_dir: Path | None = current_app.extensions.get("liandong.pki_dir")
    if pki_dir is None:
        return error(404, "not_found", "本中心未开放网络注册 (network enrollment is off here)")
    # No authentication before this point (the token is the credential), so the body is
    # anyone's: `load_object` raises IntakeError (the API's 422 naming the problem) for
    # every oddity, 5,000 digits or `\ud800` alike.
    data = load_object(_body())
    token, csr = data.get("token"), data.get("csr")
    if not isinstance(token, str) or not isinstance(csr, str):
        return error(422, "invalid", '须为 {"token": "...", "csr": "PEM"} (token and csr)')
    phone_only = _phone_unit(csr)
    if phone_only is not None:
        # Checked before the token is used: the installer fixes the registry and tries again.
        log.warning("enrollment for %s refused: the registry says it has no terminal", phone_only)
        return error(
            409,
            "no_terminal",
            f"登记表中单位 {phone_only} 为无终端单位（terminal = false），请先在登记表中设置"
            f" terminal = true 并重启枢纽 (the registry says {phone_only} has no terminal: the"
            " hub would send it nothing; set terminal = true and restart the hub first)",
        )
    try:
        cert = redeem(pki_dir, token, csr.encode("utf-8"))
    except EnrollmentError as e:
        log.warning("enrollment refused from %s: %s", request.remote_addr, e)
        return error(403, "enrollment_refused", f"注册被拒绝 (enrollment refused): {e}")
    except ProvisioningError as e:
        log.error("enrollment failed: %s", e)
        return error(500, "enrollment_failed", "注册失败，请联系指挥中心 (enrollment failed)")
    layout = Layout(pki_dir)
    [cn] = x509.load_pem_x509_certificate(cert).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    answer = {
        "certificate": cert.decode("ascii"),
        "ca": layout.ca_crt.read_text(encoding="ascii"),
        "hub_dispatch_pub": layout.dispatch_pub.read_text(encoding="ascii"),
        "gateway": gateway_config(layout.county(), str(cn.value), GatewayOptions()),
    }
    if layout.release_pub.exists():  # the county's release key (docs/updates.md)
        answer["release_pub"] = layout.release_pub.read_text(encoding="ascii")
    return reply(answer, 201)


def _phone_unit(csr_pem: str) -> str | None:
    """The unit a CSR names, when the registry says that unit has no terminal.

    A terminal enrolled for such a unit would connect, look healthy and never get an order
    (the hub reaches the unit by phone and queues nothing for it), so enrollment is refused
    until the registry says `terminal = true`. A CSR that cannot be read is left to
    `redeem`, which says what is wrong with it."""
    try:
        names = x509.load_pem_x509_csr(csr_pem.encode("utf-8")).subject.get_attributes_for_oid(
            NameOID.COMMON_NAME
        )
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    unit_id = str(names[0].value) if len(names) == 1 else ""
    desk: Desk = current_app.extensions["liandong.desk"]
    unit = desk.registry.units.get(unit_id)
    return unit_id if unit is not None and not unit.terminal else None
