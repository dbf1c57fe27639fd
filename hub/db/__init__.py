"""The hub's SQLite file: the store (one connection, one transaction at a time) and its
migrations. Every part of the hub reads and writes through here."""
