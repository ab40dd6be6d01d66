"""Dtype policies (Keras 3 names): the dtype of a layer's variables and of its computations."""

from __future__ import annotations

from typing import Any

from layerax.core.dtype_policy import DTypePolicy as DTypePolicy
from layerax.core.dtype_policy import dtype_policy as dtype_policy
from layerax.core.dtype_policy import get as get
from layerax.core.dtype_policy import set_dtype_policy as set_dtype_policy


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """The Keras-style config dict of a policy.

    Example:
        >>> import layerax as lx
        >>> config = lx.dtype_policies.serialize(lx.dtype_policies.DTypePolicy("mixed_float16"))
        >>> config["class_name"], config["config"]
        ('DTypePolicy', {'name': 'mixed_float16'})
    """
    if not isinstance(policy, DTypePolicy):
        raise TypeError(f"serialize expects a DTypePolicy. Received: {policy!r}")
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config: Any, custom_objects: Any = None) -> DTypePolicy:
    """Inverse of `serialize` (also accepts a policy name).

    Example:
        >>> import layerax as lx
        >>> lx.dtype_policies.deserialize({"class_name": "DTypePolicy",
        ...                                "config": {"name": "bfloat16"}}).name
        'bfloat16'
    """
    del custom_objects
    return get(config)


# Keras 3 keeps FloatDTypePolicy as an alias of DTypePolicy.
FloatDTypePolicy = DTypePolicy

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "deserialize",
    "dtype_policy",
    "get",
    "serialize",
    "set_dtype_policy",
]
