"""`make bench`: load and throughput benchmarks (not tests; pytest does not collect them).

Entry point: `python -m tests.benchmarks.run --help`. See docs/benchmarks.md."""
