"""Roles and what each may do.

Four roles from the issue: an operator dispatches and writes notes; a supervisor also
reassigns, cancels, closes and runs drills; an auditor reads everything (including the
audit log and the county registry) and changes nothing; an admin manages users and reads
the registry (it is changed in its file, not on screen). The 110 gate page (边界交换) is for
the people who run the exchange: operators watch it, supervisors and admins also put a
rejected file back once the mapping is fixed. Permissions are named for what
they allow so a view asks `may("command")`, never `role == "supervisor"`.

Assessment (考核, issue 14): supervisors, auditors and admins read the figures and download
the bulletin (`assessment`); only the auditor records spot checks and decides appeals
(`spotcheck`), and only a supervisor files an appeal on a unit's behalf (`appeal`), so the
one who appeals is never the one who decides.

Software updates (issue 19): only an admin sees the fleet page and starts, advances or
halts a rollout (`fleet`).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["operator", "supervisor", "auditor", "admin"]
Permission = Literal[
    "view",
    "dispatch",
    "command",
    "audit",
    "users",
    "registry",
    "boundary",
    "reprocess",
    "assessment",
    "spotcheck",
    "appeal",
    "fleet",
]

ROLES: tuple[Role, ...] = ("operator", "supervisor", "auditor", "admin")

GRANTS: dict[Role, frozenset[Permission]] = {
    "operator": frozenset({"view", "dispatch", "boundary"}),
    "supervisor": frozenset(
        {"view", "dispatch", "command", "boundary", "reprocess", "assessment", "appeal"}
    ),
    "auditor": frozenset({"view", "audit", "registry", "assessment", "spotcheck"}),
    "admin": frozenset(
        {"view", "audit", "users", "registry", "boundary", "reprocess", "assessment", "fleet"}
    ),
}


def is_role(value: str) -> bool:
    """True when `value` names one of the four roles."""
    return value in _BY_NAME


_BY_NAME: dict[str, frozenset[Permission]] = {str(k): v for k, v in GRANTS.items()}


def may(role: str, permission: Permission) -> bool:
    """Whether `role` holds `permission`; unknown roles hold nothing."""
    return permission in _BY_NAME.get(role, frozenset())
