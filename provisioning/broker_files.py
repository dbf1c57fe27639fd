"""Making the broker's files usable by the user Mosquitto runs as.

Started as root (as Debian's systemd unit does), Mosquitto drops to the user of its `user`
line before it loads the certificates, the key, the CRL and the ACL, and it writes its
persistence file as that user. A key that only root can read, or a PKI folder under a
0700 home, then stops the broker with "Permission denied" at start, or worse, only at the
first reload. So `broker-config` run as root gives that user the broker key and the
persistence folder, and checks that every file the broker opens can be reached: a
folder it cannot enter is one clear error before anything is started.

Only the broker's own key changes owner: the CA key, the hub's key and the unit bundles
stay root's.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import ProvisioningError

log = logging.getLogger(__name__)

READ = 4
WRITE = 2
ENTER = 1


@dataclass(frozen=True)
class Account:
    """A local user: its ids and every group it is in."""

    name: str
    uid: int
    gid: int
    groups: frozenset[int]

    @classmethod
    def named(cls, name: str) -> Account | None:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        groups = frozenset(os.getgrouplist(name, entry.pw_gid))
        return cls(name, entry.pw_uid, entry.pw_gid, groups)

    def may(self, path: Path, bits: int) -> bool:
        """Whether the mode bits of `path` give this account `bits` (POSIX modes only: an
        ACL set with setfacl is not consulted)."""
        if self.uid == 0:
            return True
        st = path.stat()
        if st.st_uid == self.uid:
            granted = (st.st_mode >> 6) & 7
        elif st.st_gid in self.groups:
            granted = (st.st_mode >> 3) & 7
        else:
            granted = st.st_mode & 7
        return granted & bits == bits


def _describe(path: Path) -> str:
    st = path.stat()
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"mode {stat.S_IMODE(st.st_mode):04o}, {owner}:{group}"


def check_reachable(account: Account, path: Path, bits: int) -> None:
    """Raise ProvisioningError unless `account` can enter every folder above `path` and has
    `bits` on `path` itself."""
    path = path.resolve()
    for folder in reversed(path.parents):
        if not account.may(folder, ENTER):
            raise ProvisioningError(
                f"Mosquitto runs as {account.name} and cannot enter {folder} "
                f"({_describe(folder)}), so it cannot open {path}: keep the PKI folder where "
                f"that user can reach it (e.g. /srv/liandong/pki), `chmod o+x {folder}`, "
                "or pass --run-as the user that owns the PKI folder"
            )
    if not account.may(path, bits):
        need = "write to" if bits & WRITE else "read"
        raise ProvisioningError(
            f"Mosquitto runs as {account.name} and cannot {need} {path} ({_describe(path)})"
        )


def hand_over(account: Account, key: Path, data_dir: Path) -> None:
    """Give `account` the broker's key (still 0600) and its persistence folder (0700, and
    whatever Mosquitto already saved in it)."""
    os.chown(key, account.uid, account.gid)
    os.chmod(key, 0o600)
    os.chown(data_dir, account.uid, account.gid)
    os.chmod(data_dir, 0o700)
    for saved in data_dir.iterdir():
        if saved.is_file() and not saved.is_symlink():
            os.chown(saved, account.uid, account.gid)
    log.info("%s and %s now belong to %s", key, data_dir, account.name)


def prepare(
    run_as: str, *, key: Path, reads: list[Path], data_dir: Path, hand: bool | None
) -> str | None:
    """Make the broker's files usable by `run_as`; return a note for the installer (None
    when nothing needs saying).

    `hand`: None (the default) gives the key and the data folder to `run_as` when running
    as root and checks that `run_as` can reach every file; True is the same but an error
    when not root; False leaves owners to the installer (who may use ACLs, which the check
    cannot see) and only says what must be readable. Not root, Mosquitto keeps the user
    that starts it (it ignores `user`), so only the note is given.
    """
    root = os.geteuid() == 0
    if hand and not root:
        raise ProvisioningError(
            "only root can give the broker's key to another user: run broker-config as "
            "root, or leave out --chown"
        )
    account = Account.named(run_as)
    if hand is False:
        return (
            f"owners left as they are (--no-chown): Mosquitto started as root becomes "
            f"{run_as}, which must read {key} and the certificates, CRL and ACL, and write "
            f"{data_dir}"
        )
    if not root:
        if account is not None and account.uid == os.geteuid():
            return None
        return (
            f"not root: nothing was given to {run_as}. Mosquitto started by this user runs "
            f"as this user; started as root it becomes {run_as}, which must read {key}: "
            "then run this command again as root"
        )
    if account is None:
        raise ProvisioningError(
            f"the user {run_as!r} (the config's `user` line) does not exist here: install "
            "Mosquitto (`apt-get install mosquitto` creates the user mosquitto) or pass "
            "--run-as an existing user"
        )
    if account.uid == 0:
        return None
    for path in [key, *reads, data_dir]:
        check_reachable(account, path.parent, ENTER)
    hand_over(account, key, data_dir)
    for path in [key, *reads]:
        check_reachable(account, path, READ)
    check_reachable(account, data_dir, READ | WRITE | ENTER)
    return None
