"""Assessment (考核): the county safety office's scores, spot checks and bulletins.

It only reads the event log and the dispatch tables (through a read-only connection) and
writes only its own tables (`assessment_*`, see `schema.py`). Import what you need from the
modules, each with one job:

- `rubric`: the county's scoring standard (TOML), checked like the registry
- `periods`: days, quarters, years and ranges in Beijing time
- `evidence`: the per-order facts read from the database (events are the truth)
- `judge`: one order's stages, buckets and flags, as a pure function
- `score`: per-unit and per-township scores, ranking, the slowest units
- `compute`: `assess(...)`, the whole report's figures from a database and a period
- `sampling`, `spotcheck`: the daily sample, findings, appeals and decisions
- `xlsx`, `document`, `charts`, `command`: the outputs and `liandong-hub report`

docs/assessment.md has the rules.
"""
