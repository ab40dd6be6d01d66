"""`Hashing` and `HashedCrossing`: features to bins with TensorFlow's string hashes.

The bins are those of Keras (which calls TensorFlow): FarmHash `Fingerprint64` of the value's
bytes (SipHash-2-4 with a `salt`), integers hashed as their decimal string, crosses combined
with `FingerprintCat64` (see `_hash64`). Hashing runs on the host, one hash per distinct value:
strings (numpy `str`/object arrays, lists) are hashed eagerly; integer inputs may also come
traced (inside `jax.jit`, a compiled `fit` step or `jax.vmap`), where the layer hashes them
through `jax.pure_callback`, still on the host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.layer import Layer
from layerax.layers.preprocessing.numeric import _hash64
from layerax.layers.preprocessing.numeric._encoding import (
    check_output_mode,
    check_sparse,
    encode,
    encoded_shape,
)


def _host_values(x: Any, layer: str) -> np.ndarray:
    """`x` as a numpy array of strings (object) or int64; floats are truncated to int64."""
    array = np.asarray(x)
    if array.dtype.kind in "USO":
        return array.astype(object)
    if array.dtype.kind == "f":
        return array.astype(np.int64)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    raise TypeError(
        f"{layer} takes strings, integers or floats. Received an array of dtype {array.dtype}."
    )


def _per_unique(values: np.ndarray, hash_one: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`hash_one` applied to the distinct entries of `values` only, scattered back."""
    flat = values.reshape(-1)
    if flat.size == 0:
        return np.zeros(values.shape, np.uint64)
    keyed = flat.astype(str) if flat.dtype == object else flat
    _, first, inverse = np.unique(keyed, return_index=True, return_inverse=True)
    # The original objects of one representative per key (bytes stay bytes; entries with
    # the same key have the same bytes to hash).
    return hash_one(flat[first])[inverse.reshape(-1)].reshape(values.shape)


def _equal_to(values: np.ndarray, target: Any) -> np.ndarray:
    """Where `values` equal `target`; strings and bytes compare by their UTF-8 bytes."""
    if values.dtype == object and isinstance(target, (str, bytes)):
        wanted = _hash64.as_bytes(target)
        flat = [isinstance(v, (str, bytes)) and _hash64.as_bytes(v) == wanted
                for v in values.reshape(-1)]
        return np.array(flat, bool).reshape(values.shape)
    return np.asarray(values == target, bool)


def _is_traced(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def _on_host(fn: Callable[..., np.ndarray], out_dtype: Any, *inputs: Any) -> Any:
    """Runs `fn` (numpy in, int bins out, same shape as the first input) eagerly, or through
    `jax.pure_callback` when an input is traced (integer inputs only)."""
    if not any(_is_traced(x) for x in inputs):
        return jnp.asarray(fn(*[np.asarray(x) for x in inputs]).astype(out_dtype))
    shape = jnp.shape(inputs[0])
    spec = jax.ShapeDtypeStruct(shape, out_dtype)
    return jax.pure_callback(lambda *a: fn(*[np.asarray(v) for v in a]).astype(out_dtype),
                             spec, *inputs, vmap_method="expand_dims")


def _int_dtype(policy_name: str) -> Any:
    return jax.dtypes.canonicalize_dtype(np.dtype(policy_name))


class Hashing(Layer):
    """Hashes strings or integers into `num_bins` bins, with the bins Keras gives.

    Values are hashed with FarmHash `Fingerprint64` of their bytes (strings as UTF-8,
    integers as their decimal string, floats first truncated to integers), or, with a
    `salt`, with SipHash-2-4 keyed by the salt, then taken modulo `num_bins`, exactly as
    TensorFlow's `to_hash_bucket_fast` / `to_hash_bucket_strong` do for Keras.

    Strings are hashed on the host (numpy arrays of `str` or `object`, or lists), so a
    string `Hashing` layer belongs in the data pipeline or in front of the compiled
    model. Integer inputs also work inside `jax.jit` and a compiled `fit` step: the layer
    then hashes through `jax.pure_callback`, on the host.

    Args:
        num_bins: Number of bins, including the mask bin when `mask_value` is set.
        mask_value: A value mapped to bin 0 (the other values then use bins 1 to
            `num_bins - 1`). None: no mask bin.
        salt: None (FarmHash), an integer (SipHash keyed with `[salt, salt]`) or a pair of
            integers (the two 64-bit SipHash keys).
        output_mode: `"int"` (the bin index), `"one_hot"`, `"multi_hot"` or `"count"`
            (encoded as `CategoryEncoding` does).
        sparse: Return a `jax.experimental.sparse.BCOO` (not with `"int"`).
        dtype: The output dtype: "int64" by default for `"int"` (int32 unless JAX's x64
            mode is on), the float type otherwise.

    Input shape:
        Any shape of strings or integers.

    Output shape:
        The input's for `"int"`, else `(..., num_bins)`.

    Example:
        >>> import layerax as lx
        >>> lx.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).tolist()
        [[1], [0], [1], [1], [2]]
        >>> lx.layers.Hashing(num_bins=3, salt=[133, 137])([["A"], ["B"], ["C"]]).tolist()
        [[1], [2], [1]]
    """

    _convert_input_args = False

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "Hashing: `num_bins` must be a positive integer. Received: "
                f"num_bins={num_bins}."
            )
        if output_mode == "int" and self._dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                "Hashing: with output_mode='int', `dtype` must be 'int32' or 'int64'. "
                f"Received: dtype={kwargs['dtype']}"
            )
        check_output_mode("Hashing", output_mode)
        check_sparse("Hashing", sparse, output_mode)
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.salt: list[int] | None = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "Hashing: `salt` must be an integer or a tuple of two integers. "
                    f"Received: salt={salt!r}."
                )

    def _bins(self, values: np.ndarray) -> np.ndarray:
        values = _host_values(values, "Hashing")
        hash_bins = self.num_bins
        masked = None
        if self.mask_value is not None and hash_bins > 1:
            hash_bins -= 1
            masked = _equal_to(values, self.mask_value)
        key = tuple(self.salt) if self.salt is not None else None
        hashes = _per_unique(values, lambda v: _hash64.hash_values(v, key))
        bins = (hashes % np.uint64(hash_bins)).astype(np.int64)
        if masked is not None:
            bins = np.where(masked, 0, bins + 1)
        return bins

    def call(self, inputs: Any) -> Any:
        if _is_traced(inputs) and not jnp.issubdtype(inputs.dtype, jnp.integer):
            raise TypeError(
                f"Hashing '{self.name}' received a traced {inputs.dtype} input: only integer "
                "inputs can be hashed inside `jax.jit` (through a host callback). Hash floats "
                "and strings eagerly, in the data pipeline."
            )
        if not _is_traced(inputs):
            inputs = _host_values(inputs, "Hashing")
        if self.output_mode == "one_hot" and np.ndim(inputs) > 1 and np.shape(inputs)[-1] == 1:
            inputs = inputs.reshape(np.shape(inputs)[:-1])
        bins = _on_host(self._bins, np.int32, inputs)
        if self.output_mode == "int":
            return bins.astype(_int_dtype(self.dtype))
        return encode(bins, self.output_mode, self.num_bins, self.compute_dtype, self.sparse)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


class HashedCrossing(Layer):
    """Crosses two or more categorical features into `num_bins` bins (Keras' bins).

    Each row's features are fingerprinted (strings with FarmHash `Fingerprint64`, integers
    as themselves) and folded with `FingerprintCat64` from TensorFlow's default key, then
    taken modulo `num_bins`: the bins of `tf.sparse.cross_hashed`, which Keras uses.

    Args:
        num_bins: Number of bins.
        output_mode: `"int"` (the bin index) or `"one_hot"`.
        sparse: With `"one_hot"`, return a `jax.experimental.sparse.BCOO`.
        dtype: The output dtype ("int64" by default for `"int"`: int32 unless JAX's x64 mode
            is on).

    Call arguments:
        inputs: A list or tuple of at least two features of equal shape `()`, `(batch,)`
            or `(batch, 1)`, of strings or integers. Integer features may be traced
            (inside `jax.jit`): the crossing then runs through `jax.pure_callback`.

    Output shape:
        The features' shape for `"int"`, `(batch, num_bins)` for `"one_hot"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.HashedCrossing(num_bins=5)
        >>> features = (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102]))
        >>> layer(features).tolist()
        [1, 4, 1, 1, 3]
    """

    _convert_input_args = False

    def __init__(self, num_bins: int, output_mode: str = "int", sparse: bool = False,
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_output_mode("HashedCrossing", output_mode, ("int", "one_hot"))
        check_sparse("HashedCrossing", sparse, output_mode)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "HashedCrossing: `num_bins` must be a positive integer. Received: "
                f"num_bins={num_bins}."
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def _check_inputs(self, inputs: Any) -> list[Any]:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "HashedCrossing should be called on a list or tuple of inputs. Received: "
                f"inputs of type {type(inputs).__name__}."
            )
        if len(inputs) < 2:
            raise ValueError(
                "HashedCrossing should be called on at least two inputs. Received: "
                f"{len(inputs)} input(s)."
            )
        for x in inputs:
            dtype = x.dtype if _is_traced(x) else np.asarray(x).dtype
            if np.dtype(dtype).kind not in "iuSUO":
                raise ValueError(
                    "All HashedCrossing inputs should have an integer or string dtype. "
                    f"Received: an input of dtype {dtype}."
                )
        features = [x if _is_traced(x) else _host_values(x, "HashedCrossing") for x in inputs]
        first = tuple(np.shape(features[0]))
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                "All HashedCrossing inputs should have shape `()`, `(batch_size,)` or "
                f"`(batch_size, 1)`. Received shapes {[tuple(np.shape(x)) for x in features]}."
            )
        if any(tuple(np.shape(x)) != first for x in features[1:]):
            raise ValueError(
                "All HashedCrossing inputs should have equal shapes. Received shapes "
                f"{[tuple(np.shape(x)) for x in features]}."
            )
        return features

    def _bins(self, *features: np.ndarray) -> np.ndarray:
        # Under `jax.vmap` the callback may see unbatched features with size-1 axes.
        features = tuple(np.broadcast_arrays(*[np.asarray(f) for f in features]))
        columns = []
        for f in features:
            f = _host_values(f, "HashedCrossing").reshape(-1)
            if f.dtype == object:
                columns.append(_per_unique(f, lambda v: _hash64.hash_values(v)))
            else:
                columns.append(f.astype(np.int64).view(np.uint64))
        out = np.empty(columns[0].shape, np.uint64)
        for i in range(out.size):
            h = _hash64.CROSS_HASH_KEY
            for column in columns:
                h = _hash64.fingerprint_cat64(h, int(column[i]))
            out[i] = h
        return (out % np.uint64(self.num_bins)).astype(np.int64).reshape(np.shape(features[0]))

    def call(self, inputs: Any) -> Any:
        features = self._check_inputs(inputs)
        bins = _on_host(self._bins, np.int32, *features)
        if self.output_mode == "int":
            return bins.astype(_int_dtype(self.dtype))
        return encode(bins, "one_hot", self.num_bins, self.compute_dtype, self.sparse)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                "HashedCrossing: expected as input a list/tuple of at least 2 shapes. Received "
                f"input_shape={input_shape}"
            )
        return encoded_shape(tuple(input_shape[0]), self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": super().get_config()["dtype"],
        }
