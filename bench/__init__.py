"""Benchmarks (`make bench`): not tests. Each `bench/bench_*.py` has `run(workdir) -> dict`."""
