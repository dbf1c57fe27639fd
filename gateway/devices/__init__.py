"""The duty room's hardware, each behind one small interface: pins, alarm, printer and its
spool, GPS, and the simulators that stand in for them in tests and the demo."""
