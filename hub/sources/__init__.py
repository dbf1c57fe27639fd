"""Entry points that bring incidents in: the HTTP API (`api.py`, with its HMAC intake keys)
and the 110 gate (`hub.sources.boundary`). They translate and call the one writer
(`hub.dispatch`); they hold no rules."""
