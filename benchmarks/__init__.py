"""Benchmarks of the WAP flow against same-run baselines. Entry point: `python -m benchmarks.run`."""
