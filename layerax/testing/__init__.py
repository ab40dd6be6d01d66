"""`lx.testing`: the checks every layer passes, for layerax's own tests and for custom layers.

`check_layer` plays the part of Keras' `TestCase.run_layer_test` (Keras keeps
it private, in `keras.src.testing`): it builds a layer on sample inputs and
checks the Layer contract (shapes, weight counts, config and pytree round
trips, `jax.jit`, `stateless_call`, gradients, a tape step, a `fit` step,
mixed precision and masks).
"""

from __future__ import annotations

from layerax.testing.layer_test import check_layer as check_layer

__all__ = ["check_layer"]
