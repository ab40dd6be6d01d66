"""Data helpers of `keras.utils`: (x, y, sample_weight) packing, `split_dataset`,
`get_source_inputs`."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.trainers.data_adapters import unpack


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Packs data in the form `fit` and `train_step` accept: `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`.

    A lone `x` that is itself a tuple or list is wrapped in a 1-tuple, so that it is not
    mistaken for `(x, y)` when unpacked.

    Example:
        >>> import layerax as lx
        >>> lx.utils.pack_x_y_sample_weight(1, 2)
        (1, 2)
        >>> lx.utils.pack_x_y_sample_weight([1, 2])
        ([1, 2],)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Unpacks `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` into `(x, y, sample_weight)`
    (missing parts are None), as in a custom `train_step`.

    Example:
        >>> import layerax as lx
        >>> lx.utils.unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    return tuple(unpack(data))  # type: ignore[return-value]


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    for name, size in (("left_size", left), ("right_size", right)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"`{name}` must be an int, a float or None. Received: {name}={size!r}")
    if left is None and right is None:
        raise ValueError("split_dataset needs `left_size` or `right_size` (or both). Received neither.")
    for name, size in (("left_size", left), ("right_size", right)):
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ValueError(
                f"`{name}` must be an integer in (0, {total}) or a fraction in (0, 1). "
                f"Received: {name}={size!r}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError(f"left_size + right_size must be at most 1. Received: {left} + {right}")
    n_left = round(left * total) if type(left) is float else left
    n_right = round(right * total) if type(right) is float else right
    n_left = total - n_right if n_left is None else n_left
    n_right = total - n_left if n_right is None else n_right
    if n_left + n_right > total:
        raise ValueError(
            f"left_size + right_size ({n_left} + {n_right}) exceeds the dataset's length ({total})."
        )
    if n_left == 0 or n_right == 0:
        raise ValueError(
            f"With a dataset of length {total}, left_size={left!r} and right_size={right!r} leave "
            "one split empty. Adjust the sizes."
        )
    return n_left, n_right


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """Splits an array, or a tuple/list/dict of arrays of the same length, into two parts.

    Args:
        dataset: A NumPy/JAX array, a tuple, list or dict of arrays with equal first
            dimensions (e.g. `(x, y)`), or an `lx.utils.PyDataset` (split by samples: the
            datasets of `image_dataset_from_directory` & co. and
            `timeseries_dataset_from_array` split lazily into two of the same kind; any
            other `PyDataset` is read once and split into arrays).
        left_size: Samples in the left part: an int count or a fraction in (0, 1); None
            means "the rest".
        right_size: The same for the right part (taken after the left part).
        shuffle: Whether to shuffle the samples before splitting.
        seed: Seed of the shuffle.

    Returns:
        `(left, right)`, each with the structure of `dataset` (NumPy arrays). Keras returns
        `tf.data` or torch datasets here; on JAX, arrays go straight to `fit`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> left, right = lx.utils.split_dataset(np.arange(10), left_size=0.8)
        >>> left.tolist(), right.tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    from layerax.trainers.py_dataset import PyDataset

    if isinstance(dataset, PyDataset):
        return _split_py_dataset(dataset, left_size, right_size, shuffle, seed)
    if isinstance(dataset, dict):
        leaves = list(dataset.values())
    elif isinstance(dataset, (tuple, list)):
        leaves = list(dataset)
    else:
        leaves = [dataset]
    if not leaves or not all(hasattr(a, "shape") or isinstance(a, (list, tuple)) for a in leaves):
        raise TypeError(
            "split_dataset expects an array or a tuple/list/dict of arrays. "
            f"Received: {type(dataset).__name__}"
        )
    arrays = [np.asarray(a) for a in leaves]
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(
            f"The arrays of `dataset` must have the same length; received lengths {sorted(lengths)}."
        )
    total = lengths.pop()
    n_left, n_right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        np.random.default_rng(seed).shuffle(order)
    left_idx, right_idx = order[:n_left], order[n_left:n_left + n_right]

    def rebuild(index: np.ndarray) -> Any:
        parts = [a[index] for a in arrays]
        if isinstance(dataset, dict):
            return dict(zip(dataset.keys(), parts))
        if isinstance(dataset, (tuple, list)):
            return type(dataset)(parts)
        return parts[0]

    return rebuild(left_idx), rebuild(right_idx)


def _split_order(total: int, left: Any, right: Any, shuffle: bool, seed: int | None) -> tuple[Any, Any]:
    n_left, n_right = _split_sizes(left, right, total)
    order = np.arange(total)
    if shuffle:
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        np.random.default_rng(seed).shuffle(order)
    return order[:n_left], order[n_left:n_left + n_right]


def _split_py_dataset(dataset: Any, left: Any, right: Any, shuffle: bool, seed: int | None) -> tuple[Any, Any]:
    from layerax.utils.file_dataset import FileDataset
    from layerax.utils.timeseries_dataset import TimeseriesDataset

    if isinstance(dataset, FileDataset):
        rows = dataset._order  # the samples in the order the dataset yields them now
        left_idx, right_idx = _split_order(len(rows), left, right, shuffle, seed)
        return dataset.subset(rows[left_idx]), dataset.subset(rows[right_idx])
    if isinstance(dataset, TimeseriesDataset):
        starts = dataset.start_positions
        left_idx, right_idx = _split_order(len(starts), left, right, shuffle, seed)
        return dataset.with_start_positions(starts[left_idx]), dataset.with_start_positions(starts[right_idx])
    batches = list(dataset)
    if not batches:
        raise ValueError(f"split_dataset received an empty {type(dataset).__name__}.")
    first = batches[0]
    structure = tuple(first) if isinstance(first, (tuple, list)) else None
    if structure is None:
        samples: Any = np.concatenate([np.asarray(b) for b in batches])
    else:
        samples = tuple(np.concatenate([np.asarray(b[i]) for b in batches]) for i in range(len(structure)))
    return split_dataset(samples, left_size=left, right_size=right, shuffle=shuffle, seed=seed)


def get_source_inputs(tensor: Any) -> list[Any]:
    """The `lx.Input` tensors a symbolic tensor was computed from, in graph order.

    Example:
        >>> import layerax as lx
        >>> a, b = lx.Input((2,)), lx.Input((2,))
        >>> y = lx.layers.Add()([a, lx.layers.Dense(2)(b)])
        >>> lx.utils.get_source_inputs(y) == [a, b]
        True
    """
    from layerax.models.node import inbound_nodes

    sources: list[Any] = []
    seen: set[int] = set()
    visited: set[int] = set()

    def visit(t: Any) -> None:
        if id(t) in visited:
            return
        visited.add(id(t))
        history = getattr(t, "_lx_history", None)
        node = inbound_nodes(history[0])[history[1]] if history is not None else None
        if node is None or node.is_input or not node.input_tensors:
            if id(t) not in seen:
                seen.add(id(t))
                sources.append(t)
            return
        for parent in node.input_tensors:
            visit(parent)

    visit(tensor)
    return sources


__all__ = ["get_source_inputs", "pack_x_y_sample_weight", "split_dataset", "unpack_x_y_sample_weight"]
