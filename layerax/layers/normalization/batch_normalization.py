"""BatchNormalization (with Keras 3's optional batch renormalization)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax import constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.normalization import _axes


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training, moving statistics otherwise.

    `outputs = gamma * (inputs - mean) / sqrt(variance + epsilon) + beta`,
    where `mean` and `variance` are, with `training=True`, the statistics of
    the current batch (over every axis but `axis`) and otherwise the moving
    statistics. Each training call updates the moving statistics:
    `moving = moving * momentum + batch_statistic * (1 - momentum)`. The
    updates are assignments to non-trainable variables, so they happen in
    eager calls, are carried out by `lx.function`, and are returned by
    `stateless_call` as the new non-trainable values.

    Freezing: with `layer.trainable = False` the layer always runs in
    inference mode (moving statistics, no update), even with `training=True`,
    as in Keras 3.

    Args:
        axis: The feature axis (`-1`; `1` for channels_first images).
        momentum: Momentum of the moving statistics.
        epsilon: Added to the variance to avoid dividing by zero.
        center: Whether to add the learned offset `beta`.
        scale: Whether to multiply by the learned scale `gamma`.
        beta_initializer: Initializer of `beta` (`"zeros"`).
        gamma_initializer: Initializer of `gamma` (`"ones"`).
        moving_mean_initializer: Initializer of the moving mean (`"zeros"`).
        moving_variance_initializer: Initializer of the moving variance (`"ones"`).
        beta_regularizer: Regularizer of `beta`.
        gamma_regularizer: Regularizer of `gamma`.
        beta_constraint: Constraint of `beta`.
        gamma_constraint: Constraint of `gamma`.
        renorm: Use batch renormalization: in training, normalize with the
            batch statistics corrected by `r = batch_std / renorm_std` and
            `d = (batch_mean - renorm_mean) / renorm_std` (not
            differentiated), and track the moving standard deviation.
        renorm_clipping: Dict with optional `"rmax"`, `"rmin"`, `"dmax"`
            clipping `r` to `[rmin, rmax]` and `d` to `[-dmax, dmax]`.
        renorm_momentum: Momentum of the renormalization statistics.
        synchronized: Only False is supported (cross-device statistics exist
            only on Keras' TensorFlow backend).

    Call arguments:
        inputs: Array of any rank.
        training: Whether to use (and update) batch statistics.
        mask: Optional boolean array of the input's shape without the last
            axis; masked positions are left out of the batch statistics.

    Weights:
        `gamma` (if `scale`), `beta` (if `center`), then the non-trainable
        `moving_mean` and `moving_variance` (and with `renorm`
        `moving_stddev`, `renorm_mean`, `renorm_stddev`), each of shape
        `(features,)`.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> bn = lx.layers.BatchNormalization(momentum=0.5)
        >>> x = jnp.array([[0.0], [2.0]])
        >>> bn(x, training=True)[:, 0].round(2)
        Array([-1.,  1.], dtype=float32)
        >>> bn.moving_mean.numpy(), bn.moving_variance.numpy()
        (array([0.5], dtype=float32), array([1.], dtype=float32))
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict[str, float] | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"{_axes.owner(self)}: `axis` must be an integer (the feature axis). "
                f"Received: axis={axis!r}"
            )
        if synchronized:
            raise ValueError(
                f"{_axes.owner(self)}: synchronized=True is only supported by Keras' TensorFlow "
                "backend. Use synchronized=False."
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = False
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = bool(renorm)
        if self.renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(
                    f"{_axes.owner(self)}: invalid keys {sorted(unknown)} in `renorm_clipping`. "
                    f"Supported keys: 'rmax', 'rmin', 'dmax'. Received: {renorm_clipping}"
                )
            rmax, rmin = renorm_clipping.get("rmax"), renorm_clipping.get("rmin")
            dmax = renorm_clipping.get("dmax")
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    f"{_axes.owner(self)}: `renorm_clipping` needs rmax >= rmin. "
                    f"Received: rmax={rmax}, rmin={rmin}"
                )
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"{_axes.owner(self)}: `renorm_clipping` needs dmax >= 0. Received: dmax={dmax}"
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.supports_masking = True
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None

    def build(self, input_shape: Any) -> None:
        (dim,) = _axes.defined_sizes([self.axis], input_shape, self)
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                autocast=False,
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                autocast=False,
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            autocast=False,
            name="moving_mean",
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            autocast=False,
            name="moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        if self.renorm:
            variance_init = self.moving_variance_initializer

            def stddev_init(shape: Any, dtype: Any = None) -> jax.Array:
                # Renorm tracks standard deviations: start at sqrt(initial variance).
                return jnp.sqrt(variance_init(shape, dtype))

            self.moving_stddev = self.add_weight(
                autocast=False,
                name="moving_stddev", shape=shape, initializer=stddev_init, trainable=False
            )
            self.renorm_mean = self.add_weight(
                autocast=False,
                name="renorm_mean",
                shape=shape,
                initializer=self.moving_mean_initializer,
                trainable=False,
            )
            self.renorm_stddev = self.add_weight(
                autocast=False,
                name="renorm_stddev", shape=shape, initializer=stddev_init, trainable=False
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> jax.Array:
        x = jnp.asarray(inputs)
        if mask is not None and jnp.ndim(mask) != x.ndim - 1:
            raise ValueError(
                f"{_axes.owner(self)}: the mask must have one dimension less than the inputs. "
                f"Received: mask.shape={tuple(jnp.shape(mask))}, inputs.shape={tuple(x.shape)}"
            )
        gamma = None if self.gamma is None else self.gamma.value
        beta = None if self.beta is None else self.beta.value
        static = dict(
            axis=self.axis % x.ndim, epsilon=self.epsilon, dtype=self.compute_dtype,
            fuzz=_config.epsilon(),
        )
        if not (training and self.trainable):
            return _normalize(
                x, self.moving_mean.value, self.moving_variance.value, gamma, beta, **static
            )
        if not self.renorm:
            outputs, mean, variance = _train_step(
                x, mask, gamma, beta, self.moving_mean.value, self.moving_variance.value,
                momentum=self.momentum, **static,
            )
            self.moving_mean.assign(mean)
            self.moving_variance.assign(variance)
            return outputs
        clip = self.renorm_clipping or {}
        outputs, *stats = _renorm_train_step(
            x, mask, gamma, beta, self.moving_mean.value, self.moving_stddev.value,
            self.renorm_mean.value, self.renorm_stddev.value, momentum=self.momentum,
            renorm_momentum=self.renorm_momentum,
            clipping=tuple(clip.get(key) for key in ("rmin", "rmax", "dmax")), **static,
        )
        for var, value in zip(
            (self.moving_mean, self.moving_variance, self.moving_stddev, self.renorm_mean,
             self.renorm_stddev),
            stats,
        ):
            var.assign(value)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _axes.check_axes(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer
            ),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


# The computations, as pure jitted functions of arrays: an eager call is one compiled
# program, and in a traced call they are inlined. Statistics use at least float32.
_STATIC = ("axis", "epsilon", "dtype", "fuzz")


def _param_shape(x: jax.Array, axis: int) -> list[int]:
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return shape


def _apply(x: jax.Array, mean: Any, variance: Any, gamma: Any, beta: Any, axis: int,
           epsilon: float, dtype: str) -> jax.Array:
    """`gamma * (x - mean) / sqrt(variance + epsilon) + beta`, parameters on `axis`."""
    shape = _param_shape(x, axis)
    inv = jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if gamma is not None:
        inv = inv * jnp.reshape(gamma, shape).astype(x.dtype)
    offset = -jnp.reshape(mean, shape) * inv
    if beta is not None:
        offset = offset + jnp.reshape(beta, shape).astype(x.dtype)
    return (x * inv + offset).astype(dtype)


def _as_float(x: Any) -> jax.Array:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, jnp.float32))


@functools.partial(jax.jit, static_argnames=_STATIC)
def _normalize(x: Any, mean: Any, variance: Any, gamma: Any, beta: Any, *, axis: int,
               epsilon: float, dtype: str, fuzz: float) -> jax.Array:
    del fuzz
    x = _as_float(x)
    return _apply(x, mean.astype(x.dtype), variance.astype(x.dtype), gamma, beta, axis,
                  epsilon, dtype)


def _moments(x: jax.Array, mask: Any, axis: int, fuzz: float) -> tuple[jax.Array, jax.Array]:
    """Batch mean and variance over every axis but `axis`; masked positions left out."""
    axes = tuple(a for a in range(x.ndim) if a != axis)
    if mask is None:
        return jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
    keep = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(mask).astype(bool), -1), x.shape)
    # `fuzz` (lx.config.epsilon()) keeps an all-masked batch finite, as in Keras.
    weight = jnp.sum(keep.astype(x.dtype), axis=axes, keepdims=True) + fuzz
    mean = jnp.sum(jnp.where(keep, x, 0), axis=axes, keepdims=True) / weight
    variance = jnp.sum(jnp.square(jnp.where(keep, x - mean, 0)), axis=axes, keepdims=True) / weight
    return jnp.reshape(mean, (-1,)), jnp.reshape(variance, (-1,))


@functools.partial(jax.jit, static_argnames=(*_STATIC, "momentum"))
def _train_step(x: Any, mask: Any, gamma: Any, beta: Any, moving_mean: Any,
                moving_variance: Any, *, axis: int, epsilon: float, dtype: str,
                fuzz: float, momentum: float) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Normalizes with batch statistics; returns (outputs, new moving mean, new moving variance)."""
    x = _as_float(x)
    mean, variance = _moments(x, mask, axis, fuzz)
    new_mean = moving_mean.astype(x.dtype) * momentum + mean * (1.0 - momentum)
    new_variance = moving_variance.astype(x.dtype) * momentum + variance * (1.0 - momentum)
    outputs = _apply(x, mean, variance, gamma, beta, axis, epsilon, dtype)
    return outputs, new_mean, new_variance


@functools.partial(
    jax.jit, static_argnames=(*_STATIC, "momentum", "renorm_momentum", "clipping")
)
def _renorm_train_step(
    x: Any, mask: Any, gamma: Any, beta: Any, moving_mean: Any, moving_stddev: Any,
    renorm_mean: Any, renorm_stddev: Any, *, axis: int, epsilon: float, dtype: str,
    fuzz: float, momentum: float, renorm_momentum: float, clipping: tuple[Any, Any, Any],
) -> tuple[jax.Array, ...]:
    """Batch renormalization step.

    Returns (outputs, moving_mean, moving_variance, moving_stddev, renorm_mean,
    renorm_stddev), the last five being the updated statistics.
    """
    x = _as_float(x)
    mean, variance = _moments(x, mask, axis, fuzz)
    stddev = jnp.sqrt(variance + epsilon)
    renorm_mean = renorm_mean.astype(x.dtype)
    renorm_stddev = renorm_stddev.astype(x.dtype)
    safe_stddev = jnp.maximum(renorm_stddev, jnp.sqrt(jnp.asarray(epsilon, x.dtype)))
    # Corrections towards the renorm statistics, clipped and not differentiated.
    r = stddev / safe_stddev
    d = (mean - renorm_mean) / safe_stddev
    rmin, rmax, dmax = clipping
    if rmin is not None:
        r = jnp.maximum(r, rmin)
    if rmax is not None:
        r = jnp.minimum(r, rmax)
    if dmax is not None:
        d = jnp.clip(d, -dmax, dmax)
    r, d = jax.lax.stop_gradient(r), jax.lax.stop_gradient(d)
    # (x_hat * r + d) * gamma + beta == x_hat * (r * gamma) + (d * gamma + beta).
    gamma = None if gamma is None else gamma.astype(x.dtype)
    beta = None if beta is None else beta.astype(x.dtype)
    new_gamma = r if gamma is None else r * gamma
    new_beta = d if gamma is None else d * gamma
    if beta is not None:
        new_beta = new_beta + beta
    outputs = _apply(x, mean, variance, new_gamma, new_beta, axis, epsilon, dtype)
    new_renorm_mean = renorm_mean * renorm_momentum + mean * (1.0 - renorm_momentum)
    new_renorm_stddev = renorm_stddev * renorm_momentum + stddev * (1.0 - renorm_momentum)
    new_moving_mean = moving_mean.astype(x.dtype) * momentum + mean * (1.0 - momentum)
    new_moving_stddev = moving_stddev.astype(x.dtype) * momentum + stddev * (1.0 - momentum)
    # The variance follows the tracked stddev; relu guards against rounding below zero.
    new_moving_variance = jax.nn.relu(new_moving_stddev * new_moving_stddev - epsilon)
    return (outputs, new_moving_mean, new_moving_variance, new_moving_stddev, new_renorm_mean,
            new_renorm_stddev)
