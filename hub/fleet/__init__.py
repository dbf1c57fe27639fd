"""Fleet software updates on the hub (docs/updates.md): releases kept and served, rollouts
by stage (canary, a percentage, all), health watched, a failure halting the rollout. The
`fleet_*` tables are written here only; the `update` commands are queued by dispatch."""
