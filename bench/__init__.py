"""Benchmarks, run by hand (or as a small smoke run in CI), never as timed unit tests. See bench/README.md."""
