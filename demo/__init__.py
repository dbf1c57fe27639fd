"""Running the whole system on one machine: the broker process, the demo county, the
scenario. Used by `make demo`, the end-to-end tests and the benchmarks; never by a
deployed hub or gateway."""
