"""Side-by-side training-step benchmark: hand-written JAX + optax, layerax, Keras 3 (JAX),
Flax NNX and Equinox on the same workloads, in one process.

Run `python -m benchmarks.suite --help`.
"""
