"""What the terminal keeps across a power cut: the SQLite store, its orders, the ids seen."""
