"""Per-step time of a compiled `fit` step with an image augmentation block.

Three candidates train the same small CNN (Rescaling, then optionally RandomFlip +
RandomRotation + RandomZoom + RandomTranslation, then Conv2D / pooling / Dense) with
Adam on the same uint8 images:

* `layerax + aug`: the model with the augmentation block;
* `layerax no aug`: the same model without it (the cost of the augmentation);
* `keras + aug` and `keras no aug`: Keras 3 (JAX backend) on the same models.

Printed: median milliseconds per step over several timed epochs, and the ratios
layerax+aug / layerax-no-aug and layerax+aug / keras+aug.

Run: KERAS_BACKEND=jax python benchmarks/augment.py [--quick] [--image 32] [--batch 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402


def build(lib: Any, image: int, augment: bool) -> Any:
    """The CNN of the tutorials, in `lib` (layerax or keras)."""
    layers = lib.layers
    inputs = lib.Input((image, image, 3))
    x = layers.Rescaling(1 / 255.0)(inputs)
    if augment:
        x = layers.RandomFlip("horizontal", seed=1)(x)
        x = layers.RandomRotation(0.1, seed=2)(x)
        x = layers.RandomZoom(0.1, seed=3)(x)
        x = layers.RandomTranslation(0.1, 0.1, seed=4)(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10)(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.Adam(1e-3, epsilon=1e-7),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def time_fit(model: Any, x: np.ndarray, y: np.ndarray, batch: int, reps: int) -> float:
    """Median seconds per step over `reps` one-epoch fits (after a warm-up epoch)."""
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    steps = len(x) // batch
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps and repetitions")
    parser.add_argument("--image", type=int, default=32, help="image side (pixels)")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    steps, reps = (4, 3) if args.quick else (16, 5)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (steps * args.batch, args.image, args.image, 3)).astype("uint8")
    y = rng.integers(0, 10, len(x)).astype("int32")

    import keras

    import layerax as lx

    results = {}
    # Interleaved: each candidate's repetitions alternate with the others'.
    models = {
        "layerax + aug": build(lx, args.image, True),
        "layerax no aug": build(lx, args.image, False),
        "keras + aug": build(keras, args.image, True),
        "keras no aug": build(keras, args.image, False),
    }
    samples: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(reps):
        for name, model in models.items():
            samples[name].append(time_fit(model, x, y, args.batch, 1))
    for name, values in samples.items():
        results[name] = statistics.median(values)
        print(f"{name:16s} {1e3 * results[name]:8.2f} ms/step")
    print(f"augmentation cost (layerax + aug / layerax no aug): "
          f"{results['layerax + aug'] / results['layerax no aug']:.2f}")
    print(f"layerax + aug / keras + aug: {results['layerax + aug'] / results['keras + aug']:.2f}")
    print(f"keras + aug / keras no aug: {results['keras + aug'] / results['keras no aug']:.2f}")


if __name__ == "__main__":
    main()
