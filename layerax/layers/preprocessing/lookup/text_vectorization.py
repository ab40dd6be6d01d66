"""`TextVectorization`: standardize, split, n-grams, then a `StringLookup`, on the host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.layers.preprocessing.lookup import _strings
from layerax.layers.preprocessing.lookup.index_lookup import _batches
from layerax.layers.preprocessing.lookup.string_lookup import StringLookup

# Keras' punctuation class (its `regex_replace` pattern) and `tf.strings.lower`, which without
# an encoding lowercases ASCII letters only: both as `str.translate` tables.
_STRIP = dict.fromkeys(map(ord, "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"))
_LOWER = {ord(c): ord(c) + 32 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_TRANSLATIONS: dict[Any, dict[int, Any]] = {
    "lower": _LOWER,
    "strip_punctuation": _STRIP,
    "lower_and_strip_punctuation": {**_LOWER, **_STRIP},
}
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_choice(value: Any, allowed: tuple[str, ...], arg: str) -> None:
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"TextVectorization: `{arg}` must be None, a callable or one of {allowed}. "
        f"Received: {arg}={value!r}"
    )


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """TensorFlow's `strings.ngrams(..., separator=" ")`: every width in turn, no padding."""
    out: list[str] = []
    for width in widths:
        out.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(Layer):
    """Turns raw strings into token indices or bag-of-words vectors (Keras 3's `TextVectorization`).

    Each string is standardized (lowercased, punctuation stripped), split into
    tokens (on whitespace), recombined into n-grams, then looked up in a
    vocabulary (a `StringLookup` with mask token `""` at index 0 and OOV
    `"[UNK]"` at 1). The layer runs on the host on numpy string arrays (or
    lists of str) and returns numpy arrays: int32 in `"int"` mode (padded with
    0 to the longest row, or to `output_sequence_length`), float32 otherwise.
    As a model's first layer it runs before the compiled step of `fit`.

    Args:
        max_tokens: The maximum vocabulary size (mask and OOV included).
        standardize: None, `"lower_and_strip_punctuation"`, `"lower"`,
            `"strip_punctuation"` or a callable taking and returning a numpy
            array of str.
        split: None, `"whitespace"`, `"character"` or a callable taking a 1D
            numpy array of str and returning, per string, a list of tokens.
        ngrams: None, an int (all n-grams up to it) or a tuple of ints.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        output_sequence_length: `"int"` mode only: pad or truncate to this length.
        pad_to_max_tokens: If True, non-int outputs have `max_tokens` columns.
        vocabulary: A list/array of strings or a vocabulary file path.
        idf_weights: IDF weights, one per term (`"tf_idf"` only).
        sparse: Must be False (needs Keras' TensorFlow backend).
        ragged: Must be False (needs Keras' TensorFlow backend).
        encoding: The text encoding of bytes inputs.
        name: The layer's name.

    Input shape:
        `(batch,)` or `(batch, 1)` strings.

    Output shape:
        `(batch, output_sequence_length)` in `"int"` mode, `(batch, depth)` otherwise.

    Example:
        >>> import layerax as lx
        >>> layer = lx.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer(["The dog sat!"]).tolist()
        [[2, 4, 3, 0]]
    """

    _convert_input_args = False
    _lx_runs_on_host = True

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[..., Any] | None = "lower_and_strip_punctuation",
        split: str | Callable[..., Any] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        *,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if sparse:
            raise ValueError(
                "TextVectorization: `sparse=True` can only be used with Keras' TensorFlow "
                "backend. Received: sparse=True"
            )
        if ragged:
            raise ValueError(
                "TextVectorization: `ragged=True` can only be used with Keras' TensorFlow "
                "backend. Received: ragged=True. Use `output_sequence_length` or the padded output."
            )
        _check_choice(standardize, _STANDARDIZE, "standardize")
        _check_choice(split, _SPLIT, "split")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams))
        ):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}"
            )
        if not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` "
                f"is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        if output_mode == "one_hot":
            raise ValueError(
                "TextVectorization: `output_mode` must be one of ('int', 'multi_hot', 'count', "
                "'tf_idf'). Received: output_mode='one_hot'"
            )
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(
            output_mode, output_mode
        )
        self._output_sequence_length = output_sequence_length
        self._ragged = ragged
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        lookup = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        # Not a tracked sublayer: its vocabulary is saved through this layer's hooks, once.
        object.__setattr__(self, "_lookup_layer", lookup)
        self.built = True

    @property
    def compute_dtype(self) -> str:  # type: ignore[override]
        return "string"

    # -------------------------------------------------------- preprocessing
    def _standardized(self, flat: list[str]) -> list[str]:
        """Standardizes a flat list of strings (one `str.translate` each for the built-ins)."""
        if callable(self._standardize):
            out = _strings.as_strings(
                self._standardize(np.asarray(flat, dtype=str)), self._encoding
            )
            return out.reshape(-1).tolist()
        table = _TRANSLATIONS.get(self._standardize)
        return flat if table is None else [s.translate(table) for s in flat]

    def _preprocess(self, inputs: Any) -> Any:
        """Strings -> a 2D array of tokens (no split) or a list of token lists (split)."""
        text = _strings.as_strings(inputs, self._encoding)
        if self._split is None:
            if text.ndim <= 1:
                text = text.reshape(-1, 1) if text.ndim == 1 else text.reshape(1, 1)
            flat = self._standardized(text.reshape(-1).tolist())
            text = np.asarray(flat, dtype=str).reshape(text.shape) if flat else text
            if self._ngrams is None:
                return text
            rows = [list(r) for r in text.tolist()]
        else:
            if text.ndim > 1:
                if text.shape[-1] != 1:
                    raise ValueError(
                        "When using `TextVectorization` to tokenize strings, the input rank must "
                        "be 1 or the last shape dimension must be 1. Received: "
                        f"inputs.shape={text.shape} with rank={text.ndim}"
                    )
                text = text.reshape(text.shape[:-1])
            flat = self._standardized(text.reshape(-1).tolist())
            if self._split == "whitespace":
                rows = [s.split() for s in flat]
            elif self._split == "character":
                rows = [list(s) for s in flat]
            else:
                rows = [
                    _strings.as_strings(r, self._encoding).reshape(-1).tolist()
                    for r in self._split(np.asarray(flat, dtype=str))
                ]
        if self._ngrams is not None:
            rows = [_ngrams(r, self._ngrams) for r in rows]
        return rows

    # ---------------------------------------------------------------- call
    def call(self, inputs: Any) -> np.ndarray:
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        if isinstance(tokens, np.ndarray):
            indices = lookup._lookup(tokens)
        else:
            indices = self._lookup_rows(tokens)
        if self._output_mode != "int":
            return lookup._encode(indices)
        if self._output_sequence_length is not None:
            length = self._output_sequence_length
            indices = indices[..., :length]
            if indices.shape[-1] < length:
                pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
                indices = np.pad(indices, pad)
        return indices

    def _lookup_rows(self, rows: list[list[str]]) -> np.ndarray:
        """Ragged token rows -> a padded int32 index array, by a dict lookup per token (the
        vocabulary has one OOV index and the mask "", so no hashing is needed)."""
        lookup = self._lookup_layer
        pad = 0 if self._output_mode == "int" else -1  # the mask's index, or dropped
        index = lookup._token_index(mask_value=pad)
        oov = lookup._oov_start_index()
        lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
        width = int(lengths.max()) if len(rows) else 0
        if self._output_sequence_length is not None and self._output_mode == "int":
            width = max(width, self._output_sequence_length)
        flat = np.fromiter(
            (index.get(t, oov) for row in rows for t in row), np.int64, int(lengths.sum())
        )
        out = np.full((len(rows), width), pad, np.int32)
        out[np.arange(width) < lengths[:, None]] = flat
        return out

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        if self._output_mode == "int":
            return (next(iter(input_shape)), self._output_sequence_length)
        shape = tuple(input_shape)
        if self._split is None:
            if len(shape) <= 1:
                shape = shape + (1,)
        else:
            shape = shape + (None,)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_spec(self, inputs: Any) -> Spec:
        dtype = "int32" if self._output_mode == "int" else "float32"
        return Spec(self.compute_output_shape(inputs.shape), dtype)

    # --------------------------------------------------------- vocabulary
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary from raw strings (after standardize, split and n-grams).

        Args:
            data: A list/array of strings, or an iterable of batches of them
                (a generator, a `PyDataset`; a batch `(x, y)` contributes `x`).
            batch_size: Unused (Keras' signature).
            steps: The number of batches to read from an iterable.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.TextVectorization()
            >>> layer.adapt(["a b b"])
            >>> layer.get_vocabulary()
            ['', '[UNK]', 'b', 'a']
        """
        self.reset_state()
        for batch in _batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Adds one batch of strings to the token counts."""
        tokens = self._preprocess(data)
        lookup = self._lookup_layer
        if isinstance(tokens, np.ndarray):
            lookup.update_state(tokens)
        else:
            lookup.update_state(
                [np.asarray(r, dtype=str) if r else np.zeros(0, str) for r in tokens]
                if len({len(r) for r in tokens}) > 1
                else np.asarray(tokens, dtype=str).reshape(len(tokens), -1)
            )

    def finalize_state(self) -> None:
        """Turns the counts into the vocabulary."""
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        """Forgets the gathered counts."""
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order (`""` and `"[UNK]"` first).

        Example:
            >>> import layerax as lx
            >>> lx.layers.TextVectorization(vocabulary=["x"]).get_vocabulary()
            ['', '[UNK]', 'x']
        """
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The vocabulary size, mask and OOV included.

        Example:
            >>> import layerax as lx
            >>> lx.layers.TextVectorization(vocabulary=["x"]).vocabulary_size()
            3
        """
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and IDF weights for `"tf_idf"`) directly.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.TextVectorization()
            >>> layer.set_vocabulary(["hello", "world"])
            >>> layer(["hello there world"]).tolist()
            [[2, 1, 3]]
        """
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -------------------------------------------------------------- saving
    def get_config(self) -> dict[str, Any]:
        from layerax.core.serialization_lib import serialize_keras_object

        lookup = self._lookup_layer
        config = super().get_config()

        def callable_config(value: Any) -> Any:
            return (
                value if value is None or isinstance(value, str) else serialize_keras_object(value)
            )

        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": callable_config(self._standardize),
                "split": callable_config(self._split),
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": lookup.sparse,
                "ragged": self._ragged,
                "vocabulary": _listify(lookup.input_vocabulary),
                "idf_weights": _listify(lookup.input_idf_weights),
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> TextVectorization:
        from layerax.core.keras_configs import _dtype
        from layerax.core.serialization_lib import deserialize_keras_object

        config = dict(config)
        if "dtype" in config:  # a Keras-written config holds a serialized dtype policy
            config["dtype"] = _dtype(config["dtype"])
        for key in ("standardize", "split"):
            if (
                config.get(key) is not None
                and not isinstance(config[key], str)
                and not callable(config[key])
            ):
                config[key] = deserialize_keras_object(config[key], custom_objects=custom_objects)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def get_build_config(self) -> dict[str, Any]:
        return {}

    def build_from_config(self, config: Any) -> None:
        self.built = True

    def save_own_variables(self, store: Any) -> None:
        """The lookup's IDF weights (tf_idf mode), in Keras' layout."""
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        """Reads what `save_own_variables` wrote."""
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        """Writes `vocabulary.txt` (see `StringLookup.save_assets`)."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        """Reads `vocabulary.txt`."""
        self._lookup_layer.load_assets(dir_path)


def _listify(x: Any) -> Any:
    from layerax.layers.preprocessing.lookup.index_lookup import _listify as listify

    return listify(x)
