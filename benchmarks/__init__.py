"""Benchmarks: run on demand (`make bench` or `python -m benchmarks.<name>`), never in the test
suite.  Each prints its numbers beside a baseline measured in the same run, as a ratio."""
