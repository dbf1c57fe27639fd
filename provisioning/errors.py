"""Errors of provisioning, each with a message an installer can act on."""


class ProvisioningError(Exception):
    """Something about the PKI folder, a unit or a certificate that stops the command."""


class EnrollmentError(ProvisioningError):
    """A network enrollment was refused: unknown, used or expired token, or a bad CSR.

    The hub's endpoint answers these with 4xx; the message is safe to show the terminal."""
