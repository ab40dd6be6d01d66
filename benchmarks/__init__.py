"""Benchmarks of layerax (not part of the installed package)."""
