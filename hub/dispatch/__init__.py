"""The one writer: incidents, orders, deadlines, unit state, the outbox, seen and refused
messages, and the event log are written here and nowhere else (tests/test_layout.py).

Entry points (`hub.sources`, `hub.terminals`, the console) translate what they receive and
make one call in here; the read side (`read.py`, `views.py`) gives them frozen snapshots."""
