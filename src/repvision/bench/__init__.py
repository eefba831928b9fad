"""Benchmarks behind ``repvision bench ...``: each prints tables and ends with one JSON line of figures."""
