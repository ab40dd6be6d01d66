"""`SpectralNormalization`: divides a wrapped layer's kernel by its largest singular value."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import initializers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.core.variable import Variable
from layerax.layers.core.wrapper import Wrapper
from layerax.ops import nn as _nn


def _power_iteration(
    kernel: jax.Array, vector_u: jax.Array, iterations: int
) -> tuple[jax.Array, jax.Array]:
    """`(new_u, kernel / sigma)`: `sigma` estimated by `iterations` power-iteration steps."""
    weights = jnp.reshape(kernel, (-1, kernel.shape[-1]))
    u = vector_u
    for _ in range(iterations):
        v = _nn.normalize(jnp.matmul(u, weights.T), axis=None)
        u = _nn.normalize(jnp.matmul(v, weights), axis=None)
    # The singular vectors are constants of the normalization (the gradient goes through sigma
    # only through the kernel), as in Miyato et al.
    u = jax.lax.stop_gradient(u)
    v = jax.lax.stop_gradient(v)
    sigma = jnp.matmul(jnp.matmul(v, weights), u.T)
    return u.astype(vector_u.dtype), (kernel / sigma).astype(kernel.dtype)


class SpectralNormalization(Wrapper):
    """Spectral normalization of a layer's kernel (Miyato et al., 2018).

    In training, the wrapped layer's `kernel` (or `embeddings`) is divided
    by an estimate of its spectral norm, found by `power_iterations` steps
    of power iteration from the non-trainable vector `vector_u`; the
    normalized kernel and the new `vector_u` are written back to the
    variables before the wrapped layer runs. An all-zero kernel is left as
    it is. At inference the layer runs with the stored kernel.

    Args:
        layer: A layer with a `kernel` or `embeddings` weight (`Dense`,
            `Conv2D`, `Embedding`, ...).
        power_iterations: Number of power-iteration steps per training call
            (>= 1).

    Call arguments:
        inputs: The wrapped layer's inputs.
        training: Whether to normalize the kernel (default False).

    Input shape:
        The wrapped layer's.

    Output shape:
        The wrapped layer's.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.SpectralNormalization(lx.layers.Dense(3), power_iterations=20)
        >>> layer(jnp.ones((2, 4)), training=True).shape
        (2, 3)
        >>> round(float(jnp.linalg.norm(layer.layer.kernel.value, 2)), 3)  # largest singular value
        1.0
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or (
            power_iterations <= 0
        ):
            raise ValueError(
                f"SpectralNormalization layer '{self.name}': `power_iterations` should be an "
                f"integer greater than zero. Received: power_iterations={power_iterations!r}"
            )
        self.power_iterations = power_iterations

    def _kernel_variable(self) -> Variable:
        for attr in ("kernel", "embeddings"):
            for candidate in (getattr(self.layer, attr, None),
                              getattr(self.layer, "_" + attr, None)):
                if isinstance(candidate, Variable):
                    return candidate
        raise ValueError(
            f"SpectralNormalization layer '{self.name}': the wrapped "
            f"{type(self.layer).__name__} layer '{self.layer.name}' has no `kernel` nor "
            "`embeddings` weight to normalize. Wrap a layer such as Dense, Conv2D or Embedding."
        )

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        input_shape = tuple(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        # Tracked here too, as in Keras: the weights are ordered kernel, vector_u, then the
        # wrapped layer's others (Keras' get_weights/set_weights order).
        self.kernel = kernel = self._kernel_variable()
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=kernel.dtype,
        )

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training:
            kernel = self.kernel
            old_u, old_kernel = self.vector_u.value, kernel.value
            new_u, new_kernel = jax.lax.cond(
                jnp.all(old_kernel == 0),
                lambda u, k: (u, k),
                lambda u, k: _power_iteration(k, u, self.power_iterations),
                old_u, old_kernel,
            )
            self.vector_u.assign(new_u)
            kernel.assign(new_kernel)
        outputs = self.layer(inputs)
        return jax.tree.map(lambda o: o.astype(jnp.asarray(inputs).dtype), outputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power_iterations": self.power_iterations}


__all__ = ["SpectralNormalization"]
