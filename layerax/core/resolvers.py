"""The catalogue lookups the kernel needs, injected from above.

`Layer.add_weight` takes `initializer="glorot_uniform"`, `regularizer="l2"`,
`constraint="non_neg"`; `Layer(activity_regularizer=...)` takes a regularizer. The
catalogues that resolve those identifiers (`lx.initializers`, `lx.regularizers`,
`lx.constraints`) sit above the kernel and import it, so the kernel does not import
them: each registers its `get` here when it is imported (`import layerax` imports all
three). Without a registered catalogue, None and callables are used as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["register_resolver", "resolve"]

_KINDS = ("initializers", "regularizers", "constraints")
_RESOLVERS: dict[str, Callable[[Any], Any]] = {}


def register_resolver(kind: str, get: Callable[[Any], Any]) -> None:
    """Makes `get` the lookup of identifiers of `kind` (`"initializers"`, `"regularizers"`
    or `"constraints"`).

    Example:
        >>> from layerax.core.resolvers import register_resolver, resolve
        >>> import layerax as lx
        >>> register_resolver("initializers", lx.initializers.get)
        >>> type(resolve("initializers", "zeros")).__name__
        'Zeros'
    """
    if kind not in _KINDS:
        raise ValueError(
            f"Unknown resolver kind: {kind!r}. Expected one of {list(_KINDS)}."
        )
    if not callable(get):
        raise TypeError(f"A resolver must be callable. Received: get={get!r}")
    _RESOLVERS[kind] = get


def resolve(kind: str, identifier: Any) -> Any:
    """The object `identifier` names in the catalogue `kind` (its `get(identifier)`).

    Example:
        >>> from layerax.core.resolvers import resolve
        >>> resolve("regularizers", None) is None
        True
    """
    get = _RESOLVERS.get(kind)
    if get is not None:
        return get(identifier)
    if identifier is None or callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret {kind[:-1]} identifier: {identifier!r}. No `{kind}` catalogue "
        f"is registered: `import layerax` (or `layerax.{kind}`) registers it."
    )
