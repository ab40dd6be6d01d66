"""EinsumDense: a dense layer of any rank, written as an einsum equation."""

from __future__ import annotations

import math
import re
from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer

# The three equation forms Keras accepts; "0" stands for the ellipsis.
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), False),
)


class _EinsumPlan:
    """Shapes derived from an equation and an input shape (all batch-inclusive)."""

    def __init__(
        self,
        kernel_shape: tuple[Any, ...],
        bias_shape: tuple[int, ...] | None,
        output_shape: tuple[Any, ...],
        fan_in_axes: list[int],
        fan_out_axes: list[int],
    ) -> None:
        self.kernel_shape = kernel_shape
        self.bias_shape = bias_shape
        self.output_shape = output_shape
        self.fan_in_axes = fan_in_axes
        self.fan_out_axes = fan_out_axes


def _plan(
    layer_name: str,
    equation: str,
    bias_axes: str | None,
    input_shape: tuple[Any, ...],
    partial_output_shape: tuple[Any, ...],
) -> _EinsumPlan:
    """Kernel, bias and output shapes of an EinsumDense for one input shape."""
    replaced = equation.replace("...", "0")
    match, left_elided = None, False
    for pattern, left in _FORMS:
        match = pattern.fullmatch(replaced)
        if match:
            left_elided = left
            break
    if match is None:
        raise ValueError(
            f"Layer '{layer_name}': invalid einsum equation {equation!r}. Equations must be of "
            "the form '[X],[Y]->[Z]', '...[X],[Y]->...[Z]' or '[X]...,[Y]->[Z]...', e.g. "
            "'ab,bc->ac'."
        )
    input_spec, weight_spec, output_spec = match.groups()
    input_shape = tuple(input_shape)
    rank = len(input_shape)
    has_ellipsis = "0" in replaced
    elided = rank - len(input_spec)
    if (not has_ellipsis and elided != 0) or elided < 0:
        raise ValueError(
            f"Input 0 of layer '{layer_name}' is incompatible with the layer: the equation "
            f"{equation!r} expects inputs of rank {len(input_spec)}"
            f"{' or more' if has_ellipsis else ''}, but received an input of rank {rank}. "
            f"Full shape received: {input_shape}"
        )

    # Output: the batch size, then the dimensions stood for by the ellipsis (left form),
    # then the user's partial output shape, then the ellipsis dimensions (right form).
    partial = list(partial_output_shape)
    if left_elided:
        output = [input_shape[0], *input_shape[1:elided], *partial]
        input_pos = {c: elided + i for i, c in enumerate(input_spec)}
        output_pos = {c: elided + i for i, c in enumerate(output_spec)}
    else:
        output = [input_shape[0], *partial, *input_shape[len(input_spec):]]
        input_pos = {c: i for i, c in enumerate(input_spec)}
        output_pos = {c: i for i, c in enumerate(output_spec)}
    expected_len = (elided if left_elided else 0) + len(output_spec) + (
        0 if left_elided else elided
    )
    if len(output) != expected_len:
        needed = expected_len - len(output) + len(partial)
        raise ValueError(
            f"Layer '{layer_name}': `output_shape` {tuple(partial_output_shape)} has "
            f"{len(partial)} entries, but the output spec {output_spec!r} of equation "
            f"{equation!r} needs {needed} (one per output axis, without the batch axis and the "
            "ellipsis axes)."
        )

    for char, pos in input_pos.items():
        if char in output_pos:
            want, got = output[output_pos[char]], input_shape[pos]
            if want is not None and got is not None and want != got:
                raise ValueError(
                    f"Layer '{layer_name}': input shape and output shape do not match at shared "
                    f"dimension {char!r}. Input shape is {got}, and output shape is {want}."
                )
            # Dimensions the user left as None come from the input.
            if want is None:
                output[output_pos[char]] = got
    for char in output_spec:
        if char not in input_spec and char not in weight_spec:
            raise ValueError(
                f"Layer '{layer_name}': dimension {char!r} was specified in the output "
                f"{output_spec!r} but has no corresponding dimension in the input spec "
                f"{input_spec!r} or the weight spec {weight_spec!r}."
            )

    kernel_shape, fan_in_axes, fan_out_axes = [], [], []
    for i, char in enumerate(weight_spec):
        if char in output_pos:
            kernel_shape.append(output[output_pos[char]])
            fan_out_axes.append(i)
        elif char in input_pos:
            kernel_shape.append(input_shape[input_pos[char]])
            fan_in_axes.append(i)
        else:
            raise ValueError(
                f"Layer '{layer_name}': weight dimension {char!r} has no match in either the "
                f"input spec {input_spec!r} or the output spec {output_spec!r}. The weight must "
                "be fully specified."
            )

    bias_shape = None
    if bias_axes is not None:
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"Layer '{layer_name}': bias dimension {char!r} was requested, but is not "
                    f"part of the output spec {output_spec!r}."
                )
        first = min(output_spec.find(c) for c in bias_axes)
        shape = [output[output_pos[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            shape += [1] * elided
        bias_shape = tuple(shape)
    return _EinsumPlan(tuple(kernel_shape), bias_shape, tuple(output), fan_in_axes, fan_out_axes)


class _FanScaled(initializers.Initializer):
    """A VarianceScaling initializer whose fans come from the einsum axes, as in Keras.

    Every VarianceScaling distribution scales with `sqrt(scale / fan)`, so a
    sample drawn with the generic (convolution-style) fans is rescaled to the
    fans of the einsum's input and output axes.
    """

    def __init__(self, base: Any, fan_in: int, fan_out: int) -> None:
        self.base, self.fan_in, self.fan_out = base, fan_in, fan_out

    def get_config(self) -> dict[str, Any]:
        return {"base": initializers.serialize(self.base), "fan_in": self.fan_in,
                "fan_out": self.fan_out}

    def _fan(self, fan_in: float, fan_out: float) -> float:
        mode = self.base.mode
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
        return max(1.0, float(fan))

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        sample = self.base(shape, dtype)
        generic = self._fan(*initializers.compute_fans(tuple(shape)))
        wanted = self._fan(self.fan_in, self.fan_out)
        return (sample * math.sqrt(generic / wanted)).astype(sample.dtype)


class EinsumDense(Layer):
    """A dense layer whose computation is `einsum(equation, inputs, kernel) + bias`.

    Args:
        equation: Einsum equation `'<input>,<kernel>-><output>'`, e.g. `'ab,bc->ac'`;
            a leading (`'...ab,bc->...ac'`) or trailing (`'ab...,bc->ac...'`) ellipsis
            stands for any number of axes.
        output_shape: Output shape without the batch axis and the ellipsis axes (an int
            for one axis); `None` entries are taken from the input.
        activation: Activation applied to the result (None: linear).
        bias_axes: Letters of the output axes that get a bias (None: no bias).
        kernel_initializer: Initializer of the kernel; VarianceScaling initializers use
            the fans of the einsum's input and output axes, as in Keras.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        kernel_constraint: Constraint of the kernel.
        bias_constraint: Constraint of the bias.
        lora_rank: If set, enables LoRA with this rank when the layer is built
            (see `enable_lora`).
        lora_alpha: LoRA scale numerator (the delta is scaled by `lora_alpha / lora_rank`);
            defaults to `lora_rank`.
        quantization_config: Accepted for Keras config compatibility; must be None.

    Input shape:
        A tensor whose rank matches the input part of `equation`.

    Output shape:
        `(batch, *output_shape)` with the ellipsis axes where the equation puts them.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")
        >>> layer(jnp.ones((2, 3, 5))).shape
        (2, 3, 4)
        >>> [w.shape for w in layer.weights]
        [(5, 4), (4,)]
    """

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(equation, str):
            raise TypeError(
                f"Layer '{self.name}': `equation` must be a string such as 'ab,bc->ac'. "
                f"Received: equation={equation!r}"
            )
        if quantization_config is not None:
            raise ValueError(
                f"Layer '{self.name}': quantization is not supported by layerax. "
                f"Received: quantization_config={quantization_config!r}"
            )
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape: tuple[Any, ...] = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def build(self, input_shape: Any) -> None:
        plan = _plan(self.name, self.equation, self.bias_axes, input_shape,
                     self.partial_output_shape)
        if any(d is None for d in plan.kernel_shape):
            raise ValueError(
                f"Layer '{self.name}': cannot build a kernel of shape {plan.kernel_shape}; every "
                f"kernel axis needs a known size. Received input shape: {tuple(input_shape)}"
            )
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling):
            fan_in = math.prod(plan.kernel_shape[i] for i in plan.fan_in_axes)
            fan_out = math.prod(plan.kernel_shape[i] for i in plan.fan_out_axes)
            init = _FanScaled(init, fan_in, fan_out)
        self._kernel = self.add_weight(
            name="kernel",
            shape=plan.kernel_shape,
            initializer=init,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if plan.bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=plan.bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self) -> Any:
        """The kernel (with the LoRA delta added when LoRA is enabled)."""
        if not self.built:
            raise AttributeError(
                f"Layer '{self.name}' is not built yet: call it on data before reading `kernel`."
            )
        if self.lora_enabled:
            delta = jnp.matmul(self.lora_kernel_a.value, self.lora_kernel_b.value)
            return self._kernel.value + (self.lora_alpha / self.lora_rank) * delta
        return self._kernel.value

    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freezes the kernel and learns a low-rank delta `lora_kernel_a @ lora_kernel_b`.

        Args:
            rank: Rank of the delta.
            lora_alpha: The delta is scaled by `lora_alpha / rank` (default `rank`).
            a_initializer: Initializer of `lora_kernel_a`.
            b_initializer: Initializer of `lora_kernel_b` (zeros: the layer starts unchanged).

        Raises:
            ValueError: when the layer is not built, LoRA is already enabled, or the
                kernel has a constraint.
        """
        if self.kernel_constraint:
            raise ValueError(
                f"Layer '{self.name}': LoRA is incompatible with kernel constraints. Remove the "
                "`kernel_constraint` argument to enable LoRA."
            )
        if not self.built:
            raise ValueError(f"Cannot enable LoRA on layer '{self.name}': it isn't built yet.")
        if self.lora_enabled:
            raise ValueError(
                f"LoRA is already enabled on layer '{self.name}'; it can be enabled only once."
            )
        shape = self._kernel.shape
        self.lora_kernel_a = self.add_weight(
            name="lora_kernel_a",
            shape=(*shape[:-1], rank),
            initializer=initializers.get(a_initializer),
            regularizer=self.kernel_regularizer,
        )
        self.lora_kernel_b = self.add_weight(
            name="lora_kernel_b",
            shape=(rank, shape[-1]),
            initializer=initializers.get(b_initializer),
            regularizer=self.kernel_regularizer,
        )
        self._kernel.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs: Any) -> jax.Array:
        x = jnp.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias.value
        return self.activation(x)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        plan = _plan(self.name, self.equation, self.bias_axes, input_shape,
                     self.partial_output_shape)
        return plan.output_shape

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config
