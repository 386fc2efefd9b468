"""Benchmark of the authentication path: `python -m bench` (see docs/benchmarks.md).

This is tooling, not a plugin: besides its own small plugin (`bench.plugin`) it reaches into
pat_auth's models and token functions to seed a million tokens quickly.
"""
