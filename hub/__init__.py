"""Liandong hub."""
