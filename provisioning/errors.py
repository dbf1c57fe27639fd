"""Errors of provisioning, each with a message an installer can act on."""


class ProvisioningError(Exception):
    """Something about the PKI folder, a unit or a certificate that stops the command."""
