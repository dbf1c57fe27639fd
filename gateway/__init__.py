"""Liandong gateway."""
