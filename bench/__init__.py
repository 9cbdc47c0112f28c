"""Benchmarks: run with `make bench`; they print ratios against a baseline measured in the same run."""
