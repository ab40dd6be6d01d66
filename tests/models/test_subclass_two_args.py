"""A subclassed model whose `__init__` takes two positional arguments is not Model(inputs, outputs).

keras.io's VAE takes `(encoder, decoder)`; only `lx.Model` itself dispatches to Functional
(issue 24, item 11). The functional-subclass pattern (`super().__init__(inputs, outputs)`)
still works.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import layerax as lx


def _pair(module: Any) -> tuple[Any, Any]:
    inputs = module.Input((4,))
    encoder = module.Model(inputs, module.layers.Dense(2, name="code")(inputs), name="encoder")
    code = module.Input((2,))
    decoder = module.Model(code, module.layers.Dense(4, name="recon")(code), name="decoder")
    return encoder, decoder


def _autoencoder(module: Any) -> type:
    class AutoEncoder(module.Model):
        def __init__(self, encoder: Any, decoder: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder

        def call(self, x: Any) -> Any:
            return self.decoder(self.encoder(x))

    return AutoEncoder


def test_two_positional_arguments_make_a_subclassed_model_like_keras():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    ours = _autoencoder(lx)(*_pair(lx))
    theirs = _autoencoder(keras)(*_pair(keras))
    assert type(ours).__name__ == type(theirs).__name__ == "AutoEncoder"
    assert not isinstance(ours, lx.models.Functional)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    ours.compile("sgd", "mse")
    ours.fit(x, x, epochs=1, verbose=0)


def test_functional_subclass_pattern_still_works():
    class Wrapped(lx.Model):
        def __init__(self, units: int) -> None:
            inputs = lx.Input((4,))
            super().__init__(inputs, lx.layers.Dense(units)(inputs))

    model = Wrapped(3)
    assert isinstance(model, lx.models.Functional) and isinstance(model, Wrapped)
    assert model(np.ones((2, 4), "float32")).shape == (2, 3)
    inputs = lx.Input((4,))
    plain = lx.Model(inputs, lx.layers.Dense(2)(inputs))
    assert type(plain).__name__ == "Functional"
