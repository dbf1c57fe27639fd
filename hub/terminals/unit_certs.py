"""Unit certificates: who signed a report, checked against the county CA and its CRL.

`UnitKeys(pki_dir)` reads `units/UNIT/unit.crt`, `ca/ca.crt` and `ca/crl.pem` of a PKI
folder (docs/layout-and-config.md). A certificate is used only if the county CA issued it,
its common name is the unit id, it is within its validity period and its serial is not on
the CRL. Verifiers are cached and re-checked when the certificate or CRL file changes, so a
revocation takes effect at the next report without a restart. `certificates` tells the
delivery side which units it must send nothing more (hub/terminals/revocation.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from hub.errors import ConfigError
from wire.clock import Clock, SystemClock
from wire.errors import WireError
from wire.ids import is_name
from wire.signing import Verifier

log = logging.getLogger(__name__)


def _mtime(path: Path | str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return None


class UnitKeys:
    """Unit id -> Verifier, from a PKI folder; raises WireError for any unusable unit."""

    def __init__(
        self,
        pki_dir: Path,
        *,
        ca_path: Path | None = None,
        crl_path: Path | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.dir = Path(pki_dir)
        self.ca_path = ca_path or self.dir / "ca" / "ca.crt"
        self.crl_path = crl_path or self.dir / "ca" / "crl.pem"
        self.clock = clock or SystemClock()
        try:
            self.ca = x509.load_pem_x509_certificate(self.ca_path.read_bytes())
        except (OSError, ValueError) as e:
            raise ConfigError(f"county CA certificate {self.ca_path}: {e}") from None
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float | None, Verifier, x509.Certificate]] = {}
        self._crl_mtime: float | None = -1.0
        self._revoked: set[int] = set()
        self._paths: dict[str, str] = {}
        """unit -> its certificate's path as text: `certificates` looks at every unit's
        file once a second (hub/terminals/revocation.py), and building a `Path` per unit
        per look cost more than the stat (issue 17)."""

    def _load_crl(self) -> None:
        """Re-read the CRL when its file changed. A CRL that cannot be used raises at every
        report until it is fixed (the reports stay with the broker), never quietly keeps the
        previous list."""
        mtime = _mtime(self.crl_path)
        if mtime == self._crl_mtime:
            return
        if mtime is None:
            log.warning("no CRL at %s: revoked units cannot be refused", self.crl_path)
            self._revoked, self._crl_mtime = set(), None
            return
        try:
            crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
        except (OSError, ValueError) as e:
            raise ConfigError(f"CRL {self.crl_path}: {e}") from None
        if not crl.is_signature_valid(self.ca.public_key()):  # type: ignore[arg-type]
            raise ConfigError(f"CRL {self.crl_path} is not signed by the county CA")
        self._revoked, self._crl_mtime = {r.serial_number for r in crl}, mtime
        log.info("CRL %s: %d revoked certificate(s)", self.crl_path, len(self._revoked))

    def cert_path(self, unit: str) -> Path:
        return self.dir / "units" / unit / "unit.crt"

    def _check(self, unit: str, cert: x509.Certificate) -> None:
        """Issued by the county CA to this unit: checked once per certificate file."""
        try:
            cert.verify_directly_issued_by(self.ca)
        except Exception as e:  # InvalidSignature, ValueError, TypeError: all mean "not ours"
            raise WireError(
                "bad_signature", f"certificate of {unit} is not from the county CA: {e}"
            ) from None
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names or names[0].value != unit:
            raise WireError(
                "bad_signature", f"certificate at {self.cert_path(unit)} is not {unit}'s"
            )

    def _path(self, unit: str) -> str:
        path = self._paths.get(unit)
        if path is None:
            path = self._paths[unit] = str(self.cert_path(unit))
        return path

    def _cached(
        self, unit: str, path: Path | str
    ) -> tuple[float | None, Verifier, x509.Certificate]:
        """The unit's certificate and verifier, read again when its file changed (lock held)."""
        mtime = _mtime(path)
        cached = self._cache.get(unit)
        if cached is None or cached[0] != mtime:
            if mtime is None:
                raise WireError("bad_signature", f"no certificate for unit {unit!r} ({path})")
            try:
                cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
            except ValueError as e:
                raise WireError(
                    "bad_signature", f"certificate of {unit} ({path}) is unreadable: {e}"
                ) from None
            self._check(unit, cert)
            cached = (mtime, Verifier(cert.public_key()), cert)  # type: ignore[arg-type]
            self._cache[unit] = cached
        return cached

    def verifier(self, unit: str) -> Verifier:
        if not is_name(unit):
            raise WireError("bad_id", f"unit id {unit!r} is not valid")
        path = self._path(unit)
        with self._lock:
            self._load_crl()
            _, verifier, cert = self._cached(unit, path)
            # Checked at every report, not only when the file is read: it expires in cache.
            if not cert.not_valid_before_utc <= self.clock.now() <= cert.not_valid_after_utc:
                raise WireError(
                    "bad_signature", f"certificate of {unit} is outside its validity period"
                )
            if cert.serial_number in self._revoked:
                raise WireError("bad_signature", f"certificate of {unit} has been revoked")
            return verifier

    def certificates(
        self, units: Iterable[str], *, reread: bool = False
    ) -> dict[str, tuple[int, bool]]:
        """unit -> (serial, revoked) of each of `units` that has a usable certificate from the
        county CA: what the delivery side needs to send nothing more to a revoked unit
        (hub/terminals/revocation.py). A unit without one is left out.

        Files are read again only when they changed, or all of them with `reread` (for a
        filesystem whose times are too coarse to show a quick rewrite). Raises ConfigError
        when the CRL is missing or unusable, so that the caller keeps what it knew rather
        than taking "no CRL" for "nobody is revoked".
        """
        found: dict[str, tuple[int, bool]] = {}
        with self._lock:
            if reread:
                if self._crl_mtime is not None:  # a missing file shows up by its time anyway
                    self._crl_mtime = -1.0
                self._cache.clear()
            self._load_crl()
            if self._crl_mtime is None:
                raise ConfigError(f"no CRL at {self.crl_path}")
            for unit in units:
                if not is_name(unit):
                    continue
                try:
                    _, _, cert = self._cached(unit, self._path(unit))
                except WireError:
                    continue
                found[unit] = (cert.serial_number, cert.serial_number in self._revoked)
        return found
