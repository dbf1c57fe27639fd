"""点名 (roll-call): the centre checks that tier-1 duty rooms keep 24-hour duty.

`plan.py` draws the county's daily times and calls the roll when one comes; `calls.py`
owns the rounds and per-unit calls (one signed `rollcall` command each, through the
outbox), records the answers and fires the missed ones like a missed acknowledgement;
`views.py` is what the console reads. docs/rollcall.md tells the whole story.
"""
