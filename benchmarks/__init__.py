"""Benchmarks of the WAP flow against same-run baselines (issue 5). Entry point: `python -m benchmarks.run`."""
