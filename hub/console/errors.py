"""The console's exception hierarchy: one base, raised rather than returned."""

from __future__ import annotations


class ConsoleError(Exception):
    """Base of every error the console raises on purpose."""


class AuthError(ConsoleError):
    """A login that must be refused: unknown user, wrong password, disabled or locked.

    The message shown to the person never says which of these it was, so a guesser learns
    nothing about which user names exist; `reason` is for the audit log only.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UserError(ConsoleError):
    """A user-management request that cannot be done (duplicate name, bad role, weak password)."""
