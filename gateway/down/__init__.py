"""Messages from the hub: verified, counted, deduplicated by id, then one handler per kind
(`order` and `cancel`, `receipt`, `command`). Each stores before it acts."""
