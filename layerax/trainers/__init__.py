"""The training loop behind `Model.compile/fit/evaluate/predict` (internal)."""

__all__: list[str] = []
