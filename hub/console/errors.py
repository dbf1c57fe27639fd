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


class LoginThrottled(AuthError):
    """A login refused before its password was checked: too many failures lately from this
    address, for this account at this address, or (from a new address) for this account.

    Unlike the other refusals the person is told to wait, and for how long: the rules
    treat unknown and real names alike, so saying so reveals nothing about which exist.
    """

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class UserError(ConsoleError):
    """A user-management request that cannot be done (duplicate name, bad role, weak password)."""
