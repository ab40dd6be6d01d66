"""`python -m benchmarks.suite [--quick] [--workloads a,b] [--only key] [--output FILE]`."""

from __future__ import annotations

import os

# Keras must select its JAX backend before it is first imported.
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.suite.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
