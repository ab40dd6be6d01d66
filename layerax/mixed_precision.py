"""Mixed precision (`lx.mixed_precision`, Keras 3 names).

`set_global_policy("mixed_bfloat16")` makes new layers keep float32 variables
and compute in bfloat16: each layer casts its floating inputs to bfloat16 and
reads its variables in bfloat16 inside `call` (gradients still reach the
float32 variables). Normalization statistics, softmax and losses run in
float32. On GPUs, `"mixed_float16"` needs loss scaling against underflow:
`fit` wraps the optimizer in a `LossScaleOptimizer` automatically.
"""

from __future__ import annotations

from typing import Any

from layerax.dtype_policies import DTypePolicy as DTypePolicy
from layerax.dtype_policies import dtype_policy as dtype_policy
from layerax.dtype_policies import set_dtype_policy as set_dtype_policy
from layerax.optimizers.loss_scale import LossScaleOptimizer as LossScaleOptimizer

# Keras 3 keeps the TF-era name `Policy` as an alias.
Policy = DTypePolicy


def global_policy() -> DTypePolicy:
    """The policy new layers get when they receive no `dtype=` (Keras' name).

    Example:
        >>> import layerax as lx
        >>> lx.mixed_precision.global_policy().name
        'float32'
    """
    return dtype_policy()


def set_global_policy(policy: Any) -> None:
    """Sets the policy of layers created from now on: a name (`"mixed_bfloat16"`,
    `"mixed_float16"`, `"float32"`, ...) or a `DTypePolicy`; None restores floatx.

    Example:
        >>> import layerax as lx
        >>> lx.mixed_precision.set_global_policy("mixed_bfloat16")
        >>> layer = lx.layers.Dense(2)
        >>> layer.compute_dtype, layer.variable_dtype
        ('bfloat16', 'float32')
        >>> lx.mixed_precision.set_global_policy(None)  # back to floatx
    """
    if policy is not None and not isinstance(policy, (str, DTypePolicy)):
        raise ValueError(
            "Invalid `policy` argument: expected a policy name such as 'mixed_bfloat16' or a "
            f"DTypePolicy instance. Received: policy={policy!r} (of type {type(policy).__name__})"
        )
    set_dtype_policy(policy)


__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]
