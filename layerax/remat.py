"""Rematerialization (gradient checkpointing) with Keras 3's API: `lx.remat`, `lx.RematScope`.

Built on `jax.checkpoint`: the backward pass recomputes a function's intermediate values
instead of keeping them, trading compute for memory. Layers that assign state in their call
(BatchNormalization's moving statistics, Dropout's seed, metrics, `add_loss`) work as without
rematerialization: `layerax/core/rematerialize.py` threads that state through the checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from layerax.core.context import CTX
from layerax.core.rematerialize import checkpointed

__all__ = ["RematScope", "remat"]

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)


class RematMode(NamedTuple):
    """The settings of one RematScope, as a layer created inside it keeps them."""

    mode: str | None
    output_size_threshold: int
    layer_names: tuple[str, ...]


def remat(f: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps `f` so that its intermediates are recomputed in the backward pass.

    Array arguments are traced; other arguments (flags, None, Python numbers, and layers
    and variables, by identity) are passed through unchanged, so `f` may branch on them.

    `f` may read and assign variables: the variables it touches go into the checkpoint as
    inputs and their new values come out of it, so BatchNormalization's moving statistics,
    seed generators, metrics and losses added with `add_loss` end up exactly as without
    `remat`, eagerly, under `jax.jit`/`jax.grad`, with `lx.GradientTape`, in `lx.function`
    and in `fit`. `f` is traced twice per call (once abstractly, to find that state); called
    eagerly outside any transformation or tape, it simply runs.

    Args:
        f: A function of arrays, a layer, or a layer's method (any function calling layers).

    Returns:
        A function with the same outputs and gradients as `f`, using less memory under
        `jax.grad` at the cost of a second forward computation.

    Example:
        >>> import layerax as lx, jax, jax.numpy as jnp
        >>> f = lx.remat(lambda x: jnp.sin(jnp.sin(x)))
        >>> round(float(jax.grad(f)(0.5)), 5) == round(float(jnp.cos(jnp.sin(0.5))
        ...                                                 * jnp.cos(0.5)), 5)
        True
        >>> bn = lx.layers.BatchNormalization(momentum=0.5)
        >>> step = lx.function(lambda x: jnp.sum(lx.remat(bn)(x, training=True)))
        >>> _ = step(jnp.array([[1.0], [3.0]]))
        >>> bn.moving_mean.numpy().tolist()  # 0.5 * 0 + 0.5 * mean
        [1.0]
    """
    if not callable(f):
        raise TypeError(f"`remat` expects a callable (a function or a layer's method). "
                        f"Received: {f!r}")
    return checkpointed(f)


class RematScope:
    """Context manager: layers *created* inside it rematerialize their calls (Keras 3's rule).

    Args:
        mode: `"full"` (every layer's call is checkpointed), `"activations"` (only the
            `activation` of layers that have one), `"larger_than"` (layers whose outputs
            have more than `output_size_threshold` elements), `"list_of_layers"` (the layers
            named in `layer_names`), or None (no rematerialization; masks outer scopes).
        output_size_threshold: Element count for `"larger_than"`.
        layer_names: Names for `"list_of_layers"`.

    The innermost scope at a layer's creation decides; the scope at call time does not.
    Layers that assign state in their call (BatchNormalization, Dropout, layers calling
    `add_loss` or updating metrics) give the same values, gradients and state as without
    the scope (see `lx.remat`).

    Example:
        >>> import layerax as lx, jax, jax.numpy as jnp
        >>> with lx.RematScope(mode="full"):
        ...     layer = lx.layers.Dense(3, activation="relu")
        >>> _ = layer(jnp.ones((2, 4)))  # build
        >>> grads = jax.grad(lambda m, x: jnp.sum(m(x)))(layer, jnp.ones((2, 4)))
        >>> grads.kernel.shape
        (4, 3)
    """

    def __init__(self, mode: str | None = "full", output_size_threshold: int = 1024,
                 layer_names: Sequence[str] | None = None) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"Invalid RematScope mode {mode!r}. Expected one of 'full', 'activations', "
                "'larger_than', 'list_of_layers' or None."
            )
        if isinstance(layer_names, str):
            raise TypeError(f"`layer_names` must be a list of layer names, not a string. "
                            f"Received: layer_names={layer_names!r}; use [{layer_names!r}].")
        self.mode = mode
        self.output_size_threshold = int(output_size_threshold)
        self.layer_names = list(layer_names or [])

    def _setting(self) -> RematMode:
        return RematMode(self.mode, self.output_size_threshold, tuple(self.layer_names))

    def __enter__(self) -> RematScope:
        CTX.remat_modes.append(self._setting())
        return self

    def __exit__(self, *exc: Any) -> None:
        CTX.remat_modes.pop()


def get_current_remat_mode() -> RematMode | None:
    """The innermost active RematScope's settings, or None outside any scope.

    Example:
        >>> import layerax as lx
        >>> from layerax.remat import get_current_remat_mode
        >>> with lx.RematScope(mode="larger_than", output_size_threshold=10):
        ...     get_current_remat_mode().output_size_threshold
        10
    """
    return CTX.remat_modes[-1] if CTX.remat_modes else None
