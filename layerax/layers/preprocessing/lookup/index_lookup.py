"""`IndexLookup`: the vocabulary machinery shared by `StringLookup` and `IntegerLookup`.

The vocabulary is a `_Table`: the learned tokens in index order plus a sorted
copy of them, so that a lookup is a `searchsorted` (numpy on the host for
strings, `jax.numpy` for integers, which therefore also runs under `jax.jit`).
Index layout, as in Keras: `[mask] (int mode only) + [oov] * num_oov_indices +
tokens`. There are no variables: the vocabulary and the IDF weights are
host arrays saved through `save_assets` (`vocabulary.txt`) and
`save_own_variables` (`idf_weights`), in Keras 3's layout.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable, MutableMapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.layers.preprocessing.lookup import _strings

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class _Table:
    """An immutable vocabulary: `tokens[i]` has index `start + i`; `keys` sorted for lookups."""

    def __init__(self, tokens: np.ndarray, start: int) -> None:
        order = np.argsort(tokens, kind="stable")
        self.start = start
        self.tokens = tokens
        self.keys = tokens[order]
        self.indices = (order + start).astype(np.int64)

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def as_dict(self, mask: Any = None, mask_value: int = 0) -> dict[Any, int]:
        """`{token: index}`, plus `mask: mask_value` when a mask is given (built on first use
        and kept: the host fast path of TextVectorization)."""
        key = (mask, mask_value)
        cache = self.__dict__.setdefault("_dicts", {})
        if key not in cache:
            index = dict(zip(self.tokens.tolist(), range(self.start, self.start + len(self))))
            if mask is not None:
                index[mask] = mask_value
            cache[key] = index
        return cache[key]


def _xp(x: Any) -> Any:
    """`jax.numpy` for JAX arrays (and tracers), numpy for host data."""
    return jnp if isinstance(x, jax.Array) else np


class IndexLookup(Layer):
    """Maps tokens to vocabulary indices (base class of `StringLookup` and `IntegerLookup`).

    Not used directly: see `StringLookup` and `IntegerLookup` for the
    arguments, which are Keras 3's.

    Example:
        >>> import layerax as lx
        >>> from layerax.layers.preprocessing.lookup.index_lookup import IndexLookup
        >>> layer = lx.layers.StringLookup(vocabulary=["a", "b"])
        >>> isinstance(layer, IndexLookup)
        True
    """

    _convert_input_args = False
    _lx_kind = "tokens"

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        *,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        **kwargs: Any,
    ) -> None:
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If `max_tokens` is set for `{cls}`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{cls}: if pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if not isinstance(num_oov_indices, int) or num_oov_indices < 0:
            raise ValueError(
                f"The value of `num_oov_indices` argument for `{cls}` must be an integer >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{cls}: `oov_method` must be one of ('floormod', 'farmhash'). "
                f"Received: oov_method={oov_method!r}"
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    f"{cls}: `salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"The `salt` argument for `{cls}` can only be a tuple of 2 integers, or a "
                    f"single integer. Received: salt={salt}."
                )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{cls}: `output_mode` must be one of {_OUTPUT_MODES}. "
                f"Received: output_mode={output_mode!r}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{cls}: `output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                f"{cls}: `sparse=True` needs sparse tensors, which only Keras' TensorFlow "
                "backend has (as in Keras on JAX). Received: sparse=True. Use the dense output."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        # Keras' hidden arguments: the frozen size (for shapes before the vocabulary loads) and
        # whether the vocabulary was given (then adapt is refused).
        frozen_size = vocabulary_size
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        # A file path is not kept in the config: the vocabulary goes to the assets instead.
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._table: _Table | None = None
        self.idf_weights: np.ndarray | None = None
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None and vocabulary is not None:
                raise ValueError(
                    f"{cls}: when specifying the `vocabulary` argument in TF-IDF output mode, "
                    "the `idf_weights` argument must also be provided."
                )
            if idf_weights is not None:
                self.idf_weights = np.asarray(idf_weights, np.float32)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()
        self.built = True

    # -------------------------------------------------------------- tokens
    def _host_tokens(self, values: Any) -> np.ndarray:
        """`values` as a numpy array of this layer's token type (overridden per subclass)."""
        raise NotImplementedError

    def _parse_line(self, line: str) -> Any:
        return line

    def _special_python(self, token: Any) -> Any:
        return token

    # ------------------------------------------------------------ indices
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV indices included.

        Example:
            >>> import layerax as lx
            >>> lx.layers.StringLookup(vocabulary=["a", "b"]).vocabulary_size()
            3
        """
        return self._token_start_index() + (len(self._table) if self._table is not None else 0)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary in index order (a term's position is the index it maps to).

        Args:
            include_special_tokens: If False, the mask and OOV tokens are left out.

        Example:
            >>> import layerax as lx
            >>> lx.layers.StringLookup(vocabulary=["a", "b"], mask_token="").get_vocabulary()
            ['', '[UNK]', 'a', 'b']
        """
        tokens = (
            [] if self._table is None else [self._special_python(t) for t in self._table.tokens]
        )
        specials = [self._special_python(self.oov_token)] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int":
            specials[0] = self._special_python(self.mask_token)
        vocab = specials + tokens
        return vocab if include_special_tokens else vocab[self._token_start_index() :]

    # --------------------------------------------------------- vocabulary
    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and, for `"tf_idf"`, the IDF weights) directly.

        Args:
            vocabulary: A list, tuple or 1D array of terms, or the path of a
                text file with one term per line. It may start with the
                special tokens (mask, then OOV), in which case they are
                recognised and skipped.
            idf_weights: The inverse document frequencies, one per term
                (`output_mode="tf_idf"` only).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.StringLookup()
            >>> layer.set_vocabulary(["x", "y"])
            >>> layer.get_vocabulary()
            ['[UNK]', 'x', 'y']
        """
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{cls}: `idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"Received: output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"{cls}: vocabulary file {path} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(
                    f"{cls}: output_mode `'tf_idf'` does not support loading a vocabulary from file."
                )
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            # As Keras' text-file table: every line is a term, from the first token index on.
            self._install(self._host_tokens([self._parse_line(line) for line in lines]))
            return
        vocab = self._host_tokens(
            np.asarray(vocabulary).reshape(-1)
            if not isinstance(vocabulary, (list, tuple))
            else list(vocabulary)
        )
        if vocab.size == 0:
            raise ValueError(
                f"{cls}: cannot set an empty vocabulary. Received: vocabulary={vocabulary}"
            )
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        special_arr = self._host_tokens(special) if special else vocab[:0]
        found_special = bool(
            len(vocab) >= token_start and np.array_equal(special_arr, vocab[:token_start])
        )
        tokens = vocab[token_start:] if found_special else vocab
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{cls}: the passed vocabulary has at least one repeated term. Please uniquify "
                f"your dataset. The repeated terms are: {repeated}"
            )
        for what, token, check in (
            ("mask", self.mask_token, True),
            ("OOV", self.oov_token, self.invert),
        ):
            if check and token is not None and np.any(tokens == self._host_tokens([token])[0]):
                raise ValueError(
                    f"{cls}: found reserved {what} token at unexpected location in `vocabulary`. "
                    "Note that passed `vocabulary` does not need to include the OOV and mask "
                    "tokens. Either remove all mask and OOV tokens, or include them only at the "
                    f"start of the vocabulary in precisely this order: {special}. Received: "
                    f"{'mask_token' if what == 'mask' else 'oov_token'}={token!r}"
                )
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{cls}: attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {token_start + len(tokens)}; `max_tokens` is "
                f"{self.max_tokens}."
            )
        self._install(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, np.float32)
            if weights.ndim != 1:
                raise ValueError(
                    f"{cls}: TF-IDF data must be a 1-index array. Received idf_weights of shape "
                    f"{weights.shape}."
                )
            if len(weights) != len(vocab):
                raise ValueError(
                    f"{cls}: `idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(weights)}; len(vocabulary) is {len(vocab)}"
                )
            front = 0 if found_special else token_start
            front_value = 0.0 if found_special else float(np.average(weights))
            back = (
                (self.max_tokens - front - len(weights))
                if (self.pad_to_max_tokens and self.max_tokens is not None)
                else 0
            )
            self.idf_weights = np.concatenate(
                [np.full(front, front_value, np.float32), weights, np.zeros(back, np.float32)]
            ).astype(np.float32)

    def _install(self, tokens: np.ndarray) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            new_size = self._token_start_index() + len(tokens)
            if (
                self._frozen_vocab_size is not None
                and self._table is not None
                and (new_size != self._frozen_vocab_size)
            ):
                raise RuntimeError(
                    f"{type(self).__name__}: when using `output_mode={self.output_mode}` and "
                    "`pad_to_max_tokens=False`, the vocabulary size cannot be changed after the "
                    f"layer is called. Old vocab size is {self._frozen_vocab_size}, new vocab "
                    f"size is {new_size}"
                )
        self._table = _Table(tokens, self._token_start_index())
        self._frozen_vocab_size = self.vocabulary_size()

    # --------------------------------------------------------------- adapt
    def reset_state(self) -> None:
        """Forgets the token counts gathered by `update_state` (not the vocabulary)."""
        self._counts: collections.Counter[Any] = collections.Counter()
        self._doc_counts: collections.Counter[Any] = collections.Counter()
        self._num_documents = 0

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learns the vocabulary from `data`: the most frequent tokens first.

        Ties are broken by the tokens themselves, highest first; with
        `max_tokens` the vocabulary keeps the `max_tokens` most frequent
        entries (special tokens included). In `"tf_idf"` mode it also learns
        the document frequencies.

        Args:
            data: A numpy array or list of tokens (1D: one document per
                element), or an iterable of such batches (a generator, an
                iterator, a `PyDataset`; a batch `(x, y)` contributes `x`).
            steps: The number of batches to read from an iterable (all if None).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.StringLookup()
            >>> layer.adapt(["b", "a", "b", "c", "b", "a"])
            >>> layer.get_vocabulary()
            ['[UNK]', 'b', 'a', 'c']
        """
        self.reset_state()
        for batch in _batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Adds the tokens of one batch (rows are documents) to the counts."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        rows = self._rows(data)
        flat = np.concatenate(rows) if rows else self._host_tokens([])
        tokens, counts = np.unique(flat, return_counts=True)
        self._counts.update(dict(zip(tokens.tolist(), counts.tolist())))
        if self.output_mode == "tf_idf":
            for row in rows:
                self._doc_counts.update(np.unique(row).tolist())
            self._num_documents += len(rows)

    def _rows(self, data: Any) -> list[np.ndarray]:
        """A batch as a list of 1D token arrays, one per document (ragged allowed)."""
        if (
            isinstance(data, list)
            and data
            and all(isinstance(r, (list, np.ndarray)) and np.ndim(r) == 1 for r in data)
            and len({len(r) for r in data}) > 1
        ):
            return [self._host_tokens(r) for r in data]
        arr = self._host_tokens(data)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        arr = arr.reshape(arr.shape[0], -1)
        return list(arr)

    def finalize_state(self) -> None:
        """Turns the gathered counts into the vocabulary (and IDF weights)."""
        if self._has_input_vocabulary:
            return
        counts = dict(self._counts)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._host_tokens([special]).tolist()[0], None)
        tokens = self._host_tokens(list(counts))
        freq = np.asarray(list(counts.values()), np.int64)
        order = np.lexsort((tokens, freq))[::-1] if len(tokens) else np.zeros(0, np.int64)
        if self.max_tokens:
            order = order[: self.max_tokens - self._token_start_index()]
        tokens = tokens[order]
        self._table = None  # adapt may change the size: no frozen-size check
        self._install(tokens)
        if self.output_mode == "tf_idf":
            docs = np.asarray([self._doc_counts[t] for t in tokens.tolist()], np.float64)
            idf = np.log(1 + self._num_documents / (1 + docs)).astype(np.float32)
            mean = float(np.mean(idf)) if len(idf) else 0.0
            weights = np.concatenate([np.full(self._token_start_index(), mean, np.float32), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.concatenate(
                    [weights, np.zeros(self.max_tokens - len(weights), np.float32)]
                )
            self.idf_weights = weights.astype(np.float32)
        self.reset_state()

    # ---------------------------------------------------------------- call
    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return int(self.max_tokens)  # type: ignore[arg-type]
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__}: when using `output_mode={self.output_mode}` and "
                "`pad_to_max_tokens=False`, you must set the layer's vocabulary before calling "
                "it. Either pass a `vocabulary` argument to the layer, or call `adapt` with some "
                "sample data."
            )
        return int(self._frozen_vocab_size)

    def call(self, inputs: Any) -> Any:
        if self.output_mode != "int":
            self._depth()
        if self.invert:
            return self._invert(inputs)
        indices = self._lookup(inputs)
        if self.output_mode == "int":
            return indices
        return self._encode(indices)

    def _lookup(self, inputs: Any) -> Any:
        """Token -> index, with the mask and the OOV buckets (`int` mode indices)."""
        if isinstance(inputs, jax.Array) and self.vocabulary_dtype != "string":
            values, xp = inputs, jnp
        else:
            values, xp = self._host_tokens(inputs), np
        table = self._table
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        if table is None or len(table) == 0:
            out = xp.full(values.shape, default, np.int32)
            found = xp.zeros(values.shape, bool)
        else:
            keys = table.keys if xp is np else jnp.asarray(table.keys)
            pos = xp.clip(xp.searchsorted(keys, values), 0, len(table) - 1)
            found = keys[pos] == values
            out = xp.where(
                found, (table.indices if xp is np else jnp.asarray(table.indices))[pos], default
            )
        is_mask = None
        if self.mask_token is not None:
            is_mask = values == self._host_tokens([self.mask_token])[0]
            found = found | is_mask
        if self.num_oov_indices == 0 and xp is np and not np.all(found):
            raise ValueError(
                f"{type(self).__name__}: when `num_oov_indices=0` all inputs should be in "
                f"vocabulary, found OOV values {values[~found].tolist()}, consider setting "
                "`num_oov_indices=1`."
            )
        if self.num_oov_indices > 1:
            buckets = self._oov_buckets(values, xp)
            out = xp.where(found, out, buckets + self._oov_start_index())
        if is_mask is not None:
            out = xp.where(is_mask, 0 if self.output_mode == "int" else -1, out)
        # int32 indices, as Keras' JAX backend returns them (its int64 without x64).
        return out.astype(np.int32)

    def _token_index(self, mask_value: int) -> dict[Any, int]:
        """`{token: index}` with the mask token mapped to `mask_value` (host string path)."""
        if self._table is None:
            return {} if self.mask_token is None else {self.mask_token: mask_value}
        return self._table.as_dict(self.mask_token, mask_value)

    def _oov_buckets(self, values: Any, xp: Any) -> Any:
        n = self.num_oov_indices
        if self.vocabulary_dtype != "string" and self.oov_method == "floormod":
            return values % n
        if xp is not np:
            raise ValueError(
                f"{type(self).__name__}: hashing OOV values (`oov_method='farmhash'`) runs on the "
                "host: call the layer on numpy arrays, not inside a compiled function."
            )
        if self.vocabulary_dtype != "string":
            values = values.astype(str)
        return _strings.hash_buckets(values, n, self.salt)

    def _encode(self, indices: Any) -> Any:
        """`int` indices -> one_hot / multi_hot / count / tf_idf (float32)."""
        xp = _xp(indices)
        depth = self._depth()
        if indices.ndim == 0:
            indices = indices.reshape(1)
        if self.output_mode == "one_hot":
            if indices.ndim > 1 and indices.shape[-1] == 1:
                indices = indices.reshape(indices.shape[:-1])
            return (indices[..., None] == xp.arange(depth)).astype(np.float32)
        hot = indices[..., None] == xp.arange(depth)
        if self.output_mode == "multi_hot":
            return xp.any(hot, axis=-2).astype(np.float32)
        counts = xp.sum(hot, axis=-2).astype(np.float32)
        if self.output_mode == "count":
            return counts
        if self.idf_weights is None:
            raise ValueError(
                f"{type(self).__name__}: when `output_mode` is `'tf_idf'`, `idf_weights` must be "
                "provided (pass them, or call `adapt`)."
            )
        return counts * (self.idf_weights if xp is np else jnp.asarray(self.idf_weights))

    def _invert(self, inputs: Any) -> Any:
        vocab = self._host_tokens(self.get_vocabulary())
        oov = self._host_tokens([self.oov_token])[0]
        if isinstance(inputs, jax.Array) and self.vocabulary_dtype != "string":
            table = jnp.asarray(vocab)
            valid = (inputs >= 0) & (inputs < len(vocab))
            return jnp.where(valid, table[jnp.clip(inputs, 0, len(vocab) - 1)], oov)
        idx = np.asarray(inputs).astype(np.int64)
        valid = (idx >= 0) & (idx < len(vocab))
        out = np.where(valid, vocab[np.clip(idx, 0, max(len(vocab) - 1, 0))], oov)
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return shape[:-1] + (depth,)
            return shape + (depth,)
        return shape[:-1] + (depth,)

    def compute_output_spec(self, inputs: Any) -> Spec:
        if self.invert:
            dtype = "string" if self.vocabulary_dtype == "string" else "int32"
        else:
            dtype = "int32" if self.output_mode == "int" else "float32"
        return Spec(self.compute_output_shape(inputs.shape), dtype)

    # -------------------------------------------------------------- saving
    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": self.sparse,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": _listify(self.input_idf_weights),
                "vocabulary": _listify(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return config

    def get_build_config(self) -> dict[str, Any]:
        return {}

    def build_from_config(self, config: Any) -> None:
        self.built = True

    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Keras' layout: the IDF weights (tf_idf mode) under `"idf_weights"`."""
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store: Any) -> None:
        """Reads what `save_own_variables` wrote."""
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], np.float32)

    def save_assets(self, dir_path: str) -> None:
        """Writes `vocabulary.txt` (one term a line, special tokens first) unless the
        vocabulary is in the config already."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        """Reads the `vocabulary.txt` that `save_assets` wrote."""
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = [self._parse_line(line) for line in lines]
        if not values:
            return
        self._table = None
        if self.output_mode == "tf_idf":
            idf, self.input_idf_weights = self.idf_weights, None
            self.set_vocabulary(values, idf_weights=idf)
        else:
            self.set_vocabulary(values)


def _listify(x: Any) -> Any:
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, (np.ndarray, jax.Array)):
        return np.asarray(x).tolist()
    if isinstance(x, (list, tuple)):
        return [v.item() if isinstance(v, np.generic) else v for v in x]
    return x


def _batches(data: Any, steps: int | None) -> Iterable[Any]:
    """What `adapt` iterates over: one batch for arrays and lists, else the iterable's items."""
    if isinstance(data, (list, tuple, np.ndarray, jax.Array, str, bytes)) or not hasattr(
        data, "__iter__"
    ):
        if (
            isinstance(data, list)
            and data
            and all(np.ndim(r) == 1 for r in data)
            and len({len(r) for r in data}) > 1
        ):
            yield data  # ragged: one document per row
            return
        arr = np.asarray(data)
        yield arr.reshape(-1, 1) if arr.ndim == 1 else arr
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):
            batch = batch[0]
        yield batch
