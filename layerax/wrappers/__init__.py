"""scikit-learn wrappers (`lx.wrappers`): a layerax model as a scikit-learn estimator.

scikit-learn is an optional dependency (`pip install layerax[sklearn]`); it is imported
only when one of the wrappers is first used, so `import layerax` stays fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from layerax.wrappers import sklearn_wrapper

        return getattr(sklearn_wrapper, name)
    raise AttributeError(f"module 'layerax.wrappers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
