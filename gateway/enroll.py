"""`liandong-gateway enroll`: the terminal makes its own key and joins with a one-time token.

The key (EC P-256, like the rest of the county's PKI) is made here and never leaves the
terminal: only a CSR goes to the hub's `POST /api/v1/enroll`, with the token. The hub is
reached over HTTPS and trusted only through the CA certificate that came with the token
(the token file, `liandong-provision token --out`) or was given by path: the system's CA
store is not used, so neither a public CA nor a network in the middle can pose as the hub.
Plain `http://` is refused unless `insecure_http` is set (tests and development only).

The answer becomes the same bundle `liandong-provision enroll` writes: `ca.crt`,
`unit.crt`, `unit.key` (0600), `hub-dispatch.pub` and `gateway.toml`. The key is written
(0600, fsynced) before the request goes, so a power cut after the hub used the token up
cannot lose the key its certificate belongs to; each file is written whole under a
temporary name and renamed, and the folder is fsynced last.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.config import parse_config
from gateway.errors import GatewayError
from provisioning import pki
from provisioning.enroll import make_csr

log = logging.getLogger(__name__)

TOKEN_FIELDS = ("hub", "unit", "county", "token", "ca")
MAX_ANSWER_BYTES = 256 * 1024


class EnrollError(GatewayError):
    """Enrollment failed; the message says why, fit for the installer's screen."""


@dataclass(frozen=True)
class TokenFile:
    """What `liandong-provision token --out` wrote for this terminal."""

    hub: str
    unit: str
    county: str
    token: str
    ca_pem: bytes

    @classmethod
    def load(cls, path: Path) -> TokenFile:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise EnrollError(f"cannot read the token file {path}: {e}") from e
        if not isinstance(data, dict) or data.get("v") != 1:
            raise EnrollError(f"{path} is not a version-1 Liandong token file")
        missing = [f for f in TOKEN_FIELDS if not isinstance(data.get(f), str) or not data[f]]
        if missing:
            raise EnrollError(f"{path} lacks {', '.join(missing)}")
        return cls(data["hub"], data["unit"], data["county"], data["token"], data["ca"].encode())


def check_hub_url(url: str, insecure_http: bool) -> str:
    """The hub's base URL; `http://` only when explicitly allowed."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise EnrollError(f"the hub address {url!r} is not https://HOST[:PORT]")
    if parts.scheme == "http" and not insecure_http:
        raise EnrollError(
            f"refusing plain http ({url}): the token and the certificate would cross the "
            "network in the clear; use the hub's https:// address"
        )
    return url.rstrip("/")


def _tls_context(ca_pem: bytes) -> ssl.SSLContext:
    """Trust exactly this CA (no system store), check the host name, TLS 1.2 or newer."""
    try:
        ctx = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    except (ssl.SSLError, ValueError, UnicodeDecodeError) as e:
        raise EnrollError(f"the CA certificate to trust the hub by is unusable: {e}") from e
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def request_certificate(
    hub: str,
    token: str,
    csr_pem: bytes,
    ca_pem: bytes,
    *,
    insecure_http: bool = False,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """POST the token and CSR; the hub's answer (certificate, ca, hub_dispatch_pub,
    gateway) or an EnrollError with the hub's own reason."""
    url = check_hub_url(hub, insecure_http) + "/api/v1/enroll"
    body = json.dumps({"token": token, "csr": csr_pem.decode("ascii")}).encode()
    request = urllib.request.Request(  # noqa: S310 - https, or http when allowed
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    context = _tls_context(ca_pem) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as r:  # noqa: S310 - scheme checked
            raw = r.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise EnrollError(f"the hub refused (HTTP {e.code}): {_message(e)}") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, ssl.SSLCertVerificationError):
            raise EnrollError(
                f"the hub at {hub} is not trusted: its certificate is not from the CA in "
                f"the token file ({e.reason.verify_message})"
            ) from None
        raise EnrollError(f"cannot reach the hub at {hub}: {e.reason}") from None
    except (OSError, ssl.SSLError) as e:
        raise EnrollError(f"the connection to the hub at {hub} failed: {e}") from None
    try:
        answer = json.loads(raw)
    except ValueError as e:
        raise EnrollError(f"the hub's answer is not JSON: {e}") from None
    if len(raw) > MAX_ANSWER_BYTES or not isinstance(answer, dict):
        raise EnrollError("the hub's answer is not an enrollment answer")
    return answer


def _message(e: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(e.read(4096))
        return str(data.get("message", data))
    except (ValueError, OSError, AttributeError):
        return str(e.reason)


def _check_answer(answer: dict[str, Any], key: ec.EllipticCurvePrivateKey, unit: str) -> None:
    """The certificate is for our key and our unit, issued by the CA the hub sent."""
    for field in ("certificate", "ca", "hub_dispatch_pub"):
        if not isinstance(answer.get(field), str):
            raise EnrollError(f"the hub's answer lacks {field}")
    if not isinstance(answer.get("gateway"), dict):
        raise EnrollError("the hub's answer lacks gateway (a hub older than this terminal?)")
    try:
        cert = x509.load_pem_x509_certificate(answer["certificate"].encode())
        ca = x509.load_pem_x509_certificate(answer["ca"].encode())
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as e:
        raise EnrollError(f"the hub's certificate does not check out: {e}") from None
    if cert.public_key() != key.public_key():
        raise EnrollError("the hub's certificate is not for this terminal's key")
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [unit]:
        raise EnrollError(f"the hub's certificate names {names!r}, not {unit!r}")


def _gateway_toml(
    answer: dict[str, Any], token: TokenFile, printer: str | None, gps: str | None
) -> bytes:
    """The hub's gateway.toml with this terminal's own choices; checked like `run` would."""
    config: dict[str, Any] = dict(answer["gateway"])
    unit = config.get("unit")
    if not isinstance(unit, dict) or (unit.get("id"), unit.get("county")) != (
        token.unit,
        token.county,
    ):
        raise EnrollError("the hub's gateway.toml is for another unit or county")
    if printer:
        config["printer"] = {**config.get("printer", {}), "port": printer}
    if gps:
        config["gps"] = {"baudrate": 9600, "arrival_radius_m": 150, **config.get("gps", {})}
        config["gps"]["port"] = gps
    try:
        parsed = parse_config(config, Path("/"))
        text = tomli_w.dumps(config).encode("utf-8")
    except (GatewayError, TypeError, ValueError) as e:
        raise EnrollError(f"the hub's gateway.toml is not usable: {e}") from None
    mqtt = parsed.mqtt
    expected = ("/ca.crt", "/unit.crt", "/unit.key", "/hub-dispatch.pub")
    if (str(mqtt.ca), str(mqtt.cert), str(mqtt.key), str(mqtt.hub_key)) != expected:
        raise EnrollError("the hub's gateway.toml names other files than the bundle's")
    return text


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def enroll(
    token: TokenFile,
    dest: Path,
    *,
    ca_pem: bytes | None = None,
    printer: str | None = None,
    gps: str | None = None,
    insecure_http: bool = False,
    force: bool = False,
) -> Path:
    """Make the key, get the certificate, write the bundle into `dest`; return `dest`."""
    token = replace(token, ca_pem=ca_pem) if ca_pem is not None else token
    check_hub_url(token.hub, insecure_http)
    if (dest / "unit.crt").exists() and not force:
        raise EnrollError(f"{dest} already holds a unit certificate (force to replace it)")
    dest.mkdir(parents=True, exist_ok=True)
    key = pki.new_key()
    pending = dest / "unit.key.new"
    pki.write_private(pending, pki.key_pem(key), force=True)
    _fsync_dir(dest)
    answer = request_certificate(
        token.hub,
        token.token,
        make_csr(key, token.unit),
        token.ca_pem,
        insecure_http=insecure_http,
    )
    _check_answer(answer, key, token.unit)
    config = _gateway_toml(answer, token, printer, gps)
    pki.write_public(dest / "ca.crt", answer["ca"].encode())
    pki.write_public(dest / "hub-dispatch.pub", answer["hub_dispatch_pub"].encode())
    if isinstance(answer.get("release_pub"), str):  # what updates are checked against
        pki.write_public(dest / "release.pub", answer["release_pub"].encode())
    pki.write_public(dest / "gateway.toml", config)
    os.replace(pending, dest / "unit.key")
    pki.write_public(dest / "unit.crt", answer["certificate"].encode())  # last: "enrolled"
    _fsync_dir(dest)
    log.info("enrolled %s with %s; bundle in %s", token.unit, token.hub, dest)
    return dest
