"""Entry points that bring incidents in: the HTTP API (still hub/api.py) and the 110 gate
(`hub.sources.boundary`). They translate and call the one writer; they hold no rules."""
