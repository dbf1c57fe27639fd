"""Liandong provisioning."""
