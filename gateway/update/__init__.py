"""Software updates on the terminal: A/B slots, the boot check, fetch when idle."""
