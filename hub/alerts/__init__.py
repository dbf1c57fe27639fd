"""Telling people: notifiers for missed deadlines (a log now, an SMS modem later) and the
console's live stream."""
