"""`Bidirectional`: runs a recurrent layer forwards and backwards and merges the two."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.core.layer import Layer
from layerax.layers import serialization

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Bidirectional wrapper for RNNs.

    The wrapped layer is copied (from its config) into `forward_layer` and
    into `backward_layer` with `go_backwards=True` (unless a `backward_layer`
    is given); the backward outputs are flipped back to time order before
    merging.

    Args:
        layer: An RNN layer (`LSTM`, `GRU`, `RNN(cell)`, ...).
        merge_mode: How to combine the two outputs: `"concat"` (default),
            `"sum"`, `"mul"`, `"ave"`, or None (return both).
        weights: Optional initial weights (forward ones, then backward ones).
        backward_layer: Optional layer for the backward direction; it must
            have `go_backwards` opposite to `layer` and the same
            `return_sequences`, `return_state` and `stateful`.

    Call arguments:
        sequences: `(batch, timesteps, features)` inputs.
        initial_state: Initial states: the forward ones then the backward ones.
        mask: `(batch, timesteps)` boolean mask.
        training: Whether dropout is active.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        The wrapped layer's output with the last axis doubled for `"concat"`;
        with `return_state`, followed by the forward then backward states.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Bidirectional(
        ...     lx.layers.LSTM(4, return_sequences=True, name="lstm"), name="bidirectional")
        >>> layer(jnp.ones((2, 5, 3))).shape
        (2, 5, 8)
        >>> [w.path for w in layer.weights][:1]
        ['bidirectional/forward_lstm/lstm_cell/kernel']
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Any = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` with a `lx.layers.Layer` instance (an RNN "
                f"layer). Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"`backward_layer` must be a `lx.layers.Layer` instance. Received: {backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: merge_mode={merge_mode!r}. Merge mode should be "
                'one of {"sum", "mul", "ave", "concat", None}.'
            )
        for attr in ("go_backwards", "return_sequences", "return_state", "stateful"):
            if not hasattr(layer, attr):
                raise ValueError(
                    f"Bidirectional wraps recurrent layers (with `{attr}`). Received: {layer!r}"
                )
        super().__init__(**kwargs)
        # Fresh copies from the config, so that the wrapped instance's state is not shared.
        config = serialization.serialize(layer)
        config["config"]["name"] = "forward_" + _strip(layer.name, "forward_")
        self.forward_layer = serialization.deserialize(config)
        if backward_layer is None:
            config = serialization.serialize(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = "backward_" + _strip(layer.name, "backward_")
            self.backward_layer = serialization.deserialize(config)
        else:
            self.backward_layer = backward_layer
        self._verify_layers()
        # The two directions' sequences are merged step by step: padded steps must be zeros.
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        object.__setattr__(self, "_lx_initial_weights", list(weights) if weights else None)
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layers(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` values. "
                f"Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise ValueError(
                    f'Forward layer and backward layer are expected to have the same value for '
                    f'attribute "{attr}", got "{getattr(forward, attr)}" for forward layer and '
                    f'"{getattr(backward, attr)}" for backward layer'
                )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(tuple(sequences_shape))
        initial = self.__dict__.get("_lx_initial_weights")
        if initial:
            half = len(initial) // 2
            self.forward_layer.set_weights(initial[:half])
            self.backward_layer.set_weights(initial[half:])
            object.__setattr__(self, "_lx_initial_weights", None)

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: Any = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"training": training} if training is not None else {}
        if mask is not None:
            kwargs["mask"] = mask
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        else:
            forward_state = backward_state = None
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states_out: tuple[Any, ...] = ()
        if self.return_state:
            states_out = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        dtype = self.compute_dtype
        y = jnp.asarray(y).astype(dtype)
        y_rev = jnp.asarray(y_rev).astype(dtype)
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output: Any = jnp.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            if self.merge_mode is None:
                return output + states_out
            return (output, *states_out)
        return output

    # ------------------------------------------------------------ states
    @property
    def states(self) -> Any:
        """The kept states of a stateful wrapper: forward's then backward's (None otherwise)."""
        forward = getattr(self.forward_layer, "states", None)
        backward = getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_states(self, states: Any = None) -> None:
        """Resets both directions' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' must be stateful to reset its states.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        states = list(states)
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def reset_state(self, states: Any = None) -> None:
        """Keras 3 name of `reset_states`."""
        self.reset_states(states)

    # ------------------------------------------------------------ shapes
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        backward_shape = self.backward_layer.compute_output_shape(tuple(sequences_shape))
        state_shape: tuple[Any, ...] = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
            backward_shape = backward_shape[0]
        if self.merge_mode == "concat":
            last = None if output_shape[-1] is None else output_shape[-1] + backward_shape[-1]
            output_shape = (*tuple(output_shape)[:-1], last)
        elif self.merge_mode is None:
            output_shape = (tuple(output_shape), tuple(output_shape))
        else:
            output_shape = tuple(output_shape)
        if self.return_state:
            if self.merge_mode is None:
                return output_shape + state_shape + state_shape
            return (output_shape, *state_shape, *state_shape)
        return output_shape

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        if self.return_sequences:
            output_mask: Any = mask if self.merge_mode else (mask, mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "state_size", [])) * 2
            head = output_mask if isinstance(output_mask, tuple) else (output_mask,)
            return head + (None,) * n_states
        return output_mask

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialization.serialize(self.forward_layer),
            "backward_layer": serialization.serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Bidirectional:
        config = dict(config)
        config["layer"] = serialization.deserialize(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = serialization.deserialize(
                backward, custom_objects=custom_objects
            )
        return cls(**config)

__all__ = ["Bidirectional"]
