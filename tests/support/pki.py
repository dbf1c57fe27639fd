"""A throwaway county PKI on disk for tests: CA, broker, hub and unit certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from provisioning import pki


@dataclass
class ThrowawayPKI:
    root: Path
    ca: pki.Issued
    hosts: list[str] = field(default_factory=lambda: ["localhost", "127.0.0.1"])

    @classmethod
    def create(cls, root: Path) -> ThrowawayPKI:
        root.mkdir(parents=True, exist_ok=True)
        made = cls(root, pki.make_ca("test"))
        pki.write_public(made.ca_path, pki.cert_pem(made.ca.cert))
        server = pki.issue(made.ca, "broker", server_hosts=made.hosts)
        made._write("broker", server)
        return made

    @property
    def ca_path(self) -> Path:
        return self.root / "ca.crt"

    def _write(self, name: str, issued: pki.Issued) -> None:
        pki.write_public(self.root / f"{name}.crt", pki.cert_pem(issued.cert))
        pki.write_private(self.root / f"{name}.key", pki.key_pem(issued.key), force=True)

    def client(self, cn: str) -> tuple[Path, Path]:
        """(cert, key) paths for a client whose certificate CN is `cn`; made once."""
        cert, key = self.root / f"{cn}.crt", self.root / f"{cn}.key"
        if not cert.exists():
            issued = pki.issue(self.ca, cn)
            self._write(cn, issued)
        return cert, key
