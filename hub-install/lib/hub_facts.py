"""What hub-install/install.sh needs to know from hub.toml and mosquitto.conf, checked.

    python3 hub_facts.py ROOT PKI      (PKI as a path on the target system, ROOT its prefix)

Prints `key=value` lines (paths as the target system sees them) or one line per problem on
stderr and exits 2. System python3 and the standard library only: it runs before anything
is installed, on the machine (or image) being set up. The rules are the hub's own
(hub/config.py: paths relative to hub.toml's folder; hub/sources/boundary/config.py: the
gate folders), kept to what the installer needs.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import tomllib
from pathlib import PurePosixPath

LOOPBACK_NAMES = {"localhost"}
GATE_FOLDERS = ("inbound", "done", "rejected", "outbound")
BROKER_FILES = ("cafile", "certfile", "keyfile", "crlfile", "acl_file")


def target(path: str, base: PurePosixPath, root: str) -> PurePosixPath:
    """A path of the target system: relative ones from `base`; an absolute one that was
    written with the root's prefix (a PKI made inside a mounted image) loses the prefix."""
    p = PurePosixPath(path)
    if not p.is_absolute():
        p = base / p
    text = os.path.normpath(str(p))
    if root and (text == root or text.startswith(root + "/")):
        text = text[len(root) :] or "/"
    return PurePosixPath(text)


def hub_facts(root: str, pki: PurePosixPath, problems: list[str]) -> dict[str, str]:
    toml = pki / "hub" / "hub.toml"
    try:
        data = tomllib.loads(open(root + str(toml), encoding="utf-8").read())  # noqa: SIM115
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.append(f"{toml}: {e}")
        return {}
    base = toml.parent
    out = {"hub_toml": str(toml)}
    out["county"] = str(data.get("county", {}).get("id", ""))
    if not out["county"]:
        problems.append(f"{toml}: [county] id is missing")
    listen = str(data.get("http", {}).get("listen", "127.0.0.1:8000"))
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        problems.append(f"{toml}: [http] listen {listen!r} needs a fixed port for nginx")
    try:
        loopback = host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        problems.append(
            f"{toml}: [http] listen is {listen!r}; keep it on 127.0.0.1: nginx is the "
            "console's only door to the network (HTTPS), the hub itself speaks plain HTTP"
        )
    out["listen_host"], out["listen_port"] = ("127.0.0.1" if host == "localhost" else host), port
    store = data.get("store", {}).get("path", "hub.sqlite3")
    db = target(str(store), base, root)
    out["db"], out["db_dir"] = str(db), str(db.parent)
    out["hub_dir"] = str(base)
    gate = data.get("boundary")
    folders: list[str] = []
    if isinstance(gate, dict):
        under = target(str(gate.get("dir", "gate")), base, root)
        for name in GATE_FOLDERS:
            own = target(str(gate[name]), base, root) if name in gate else under / name
            folders.append(str(own))
    out["gate"] = " ".join(folders)
    return out


def broker_facts(root: str, pki: PurePosixPath, problems: list[str]) -> dict[str, str]:
    conf = pki / "broker" / "mosquitto.conf"
    out = {"broker_conf": str(conf)}
    try:
        lines = open(root + str(conf), encoding="utf-8").read().splitlines()  # noqa: SIM115
    except OSError as e:
        problems.append(
            f"{conf}: {e.strerror}: run `liandong-provision broker-config --dir {pki} "
            f"--out {pki}/broker` first"
        )
        return out
    seen: dict[str, str] = {}
    ports: list[str] = []
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if key == "listener":
            ports.append(value.split()[0])
        elif key and not key.startswith("#") and key not in seen:
            seen[key] = value.strip()
    out["broker_user"] = seen.get("user", "mosquitto")
    out["broker_ports"] = " ".join(ports)
    data = seen.get("persistence_location", "")
    out["broker_data"] = str(target(data, conf.parent, root)) if data else ""
    files = []
    for key in BROKER_FILES:
        if key in seen:
            path = target(seen[key], conf.parent, root)
            if not os.path.isfile(root + str(path)):
                problems.append(f"{conf}: {key} {path} does not exist")
            files.append(str(path))
    out["broker_files"] = " ".join(files)
    return out


def main() -> int:
    root, pki = sys.argv[1].rstrip("/"), PurePosixPath(sys.argv[2])
    problems: list[str] = []
    facts = {**hub_facts(root, pki, problems), **broker_facts(root, pki, problems)}
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 2
    for key, value in facts.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
