"""Dtype policies (Keras 3 names): the dtype of a layer's variables and of its computations.

The policy class lives in the kernel because every `Layer` has one; `lx.dtype_policies`
re-exports it with the serialization helpers. The global policy is
`CTX.process.dtype_policy`.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.core.context import CTX

__all__ = ["DTypePolicy", "dtype_policy", "get", "set_dtype_policy"]


class DTypePolicy:
    """Which dtype a layer stores its variables in and which it computes in.

    `"float32"`, `"bfloat16"`, ... use one dtype for both. `"mixed_bfloat16"`
    and `"mixed_float16"` keep variables in float32 and compute in the lower
    precision.

    Args:
        name: Policy name; `None` uses `lx.config.floatx()`.

    Example:
        >>> import layerax as lx
        >>> p = lx.dtype_policies.DTypePolicy("mixed_bfloat16")
        >>> (p.variable_dtype, p.compute_dtype)
        ('float32', 'bfloat16')
    """

    _lx_static_eq = True

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = CTX.process.floatx
        if not isinstance(name, str):
            raise TypeError(f"A dtype policy name must be a string. Received: name={name!r}")
        self._name = name
        if name.startswith("mixed_"):
            compute = name[len("mixed_") :]
            if compute not in ("float16", "bfloat16"):
                raise ValueError(
                    f"Unknown mixed dtype policy: {name!r}. Expected 'mixed_float16' or "
                    "'mixed_bfloat16'."
                )
            self._compute, self._variable = compute, "float32"
        else:
            try:
                canonical = jnp.dtype(name).name
            except TypeError as err:
                raise ValueError(
                    f"Unknown dtype policy: {name!r}. Use a dtype name such as 'float32', "
                    "'bfloat16', or 'mixed_bfloat16' / 'mixed_float16'."
                ) from err
            self._compute = self._variable = canonical

    @property
    def name(self) -> str:
        """The policy's name (`"float32"`, `"mixed_float16"`, ...).

        Example:
            >>> import layerax as lx
            >>> lx.dtype_policies.DTypePolicy("mixed_float16").name
            'mixed_float16'
        """
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype layers compute in under this policy.

        Example:
            >>> import layerax as lx
            >>> lx.dtype_policies.DTypePolicy("mixed_float16").compute_dtype
            'float16'
        """
        return self._compute

    @property
    def variable_dtype(self) -> str:
        """The dtype layers store their weights in under this policy.

        Example:
            >>> import layerax as lx
            >>> lx.dtype_policies.DTypePolicy("mixed_float16").variable_dtype
            'float32'
        """
        return self._variable

    @property
    def quantization_mode(self) -> None:
        """Always None: layerax has no quantized policies."""
        return None

    @property
    def is_mixed(self) -> bool:
        """Whether computations run in a lower precision than the variables."""
        return self._compute != self._variable

    def get_config(self) -> dict[str, Any]:
        """The policy's configuration, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.dtype_policies.DTypePolicy("bfloat16").get_config()
            {'name': 'bfloat16'}
        """
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        """Creates a policy from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> lx.dtype_policies.DTypePolicy.from_config({"name": "float16"}).compute_dtype
            'float16'
        """
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


def dtype_policy() -> DTypePolicy:
    """The global policy (from `set_dtype_policy`, else floatx).

    Example:
        >>> import layerax as lx
        >>> lx.dtype_policies.dtype_policy().name
        'float32'
    """
    return CTX.process.dtype_policy or DTypePolicy(CTX.process.floatx)


def set_dtype_policy(policy: Any) -> None:
    """Sets the global policy that new layers use when they get no `dtype=`; None makes
    them follow `floatx` again.

    Example:
        >>> import layerax as lx
        >>> lx.dtype_policies.set_dtype_policy("mixed_bfloat16")
        >>> lx.layers.Dense(2).compute_dtype
        'bfloat16'
        >>> lx.dtype_policies.set_dtype_policy(None)  # back to following floatx
    """
    CTX.process.dtype_policy = get(policy) if policy is not None else None


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a dtype, a config dict or a policy; None gives the global one.

    Example:
        >>> import layerax as lx
        >>> lx.dtype_policies.get("bfloat16").compute_dtype
        'bfloat16'
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config", identifier)
        return DTypePolicy(config.get("name"))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(jnp.dtype(identifier).name)
    except TypeError as err:
        raise ValueError(f"Could not interpret dtype policy identifier: {identifier!r}") from err
