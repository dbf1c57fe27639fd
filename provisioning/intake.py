"""Secrets of the intake sources (the 110 gate, the 12345 hotline), recorded for the hub.

Each source signs its requests with its own 256-bit HMAC key; the hub reads them from
`PKI/hub/intake-keys.toml` (`[sources] NAME = "<64 hex chars>"`, 0600). Replacing a key
(after a leak) needs `rotate`, so re-running a command never cuts off a live source.
"""

from __future__ import annotations

import logging
import secrets
import tomllib
from pathlib import Path

import tomli_w

from provisioning import pki
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout, check_id

log = logging.getLogger(__name__)


def load_intake_keys(pki_dir: Path) -> dict[str, str]:
    """Source name -> hex secret; empty when none was made yet."""
    path = Layout(pki_dir).intake_keys
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ProvisioningError(f"{path} is damaged: {e}") from e
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ProvisioningError(f"{path}: [sources] must be a table")
    return {str(k): str(v) for k, v in sources.items()}


def new_intake_key(pki_dir: Path, source: str, *, rotate: bool = False) -> str:
    """Make and record a new secret for `source`; return it (hex) to hand to that source."""
    layout = Layout(pki_dir)
    check_id(source, "intake source")
    layout.county()
    keys = load_intake_keys(pki_dir)
    if source in keys and not rotate:
        raise ProvisioningError(
            f"intake source {source!r} already has a key; use --rotate to replace it "
            "(the old key stops working when the hub reloads)"
        )
    keys[source] = secrets.token_hex(32)
    pki.write_private(layout.intake_keys, tomli_w.dumps({"sources": keys}).encode(), force=True)
    log.info("intake key %s for %s", "rotated" if rotate else "made", source)
    return keys[source]
