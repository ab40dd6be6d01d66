"""Keras 3's `keras.ops` on JAX: `lx.ops.nn`, `lx.ops.math`, `lx.ops.linalg`, `lx.ops.image`."""
