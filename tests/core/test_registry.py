"""The one registry (layerax/core/registry.py): every family's names, checked against Keras 3.

Keras 3's own tables (`keras.src.<family>.ALL_OBJECTS_DICT`, the classes of
`keras.layers`) are the reference for which names exist and what they name; the
families' `get`, `deserialize` and `serialize_keras_object` must all read the table.
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core import registry
from layerax.core.serialization_lib import deserialize_keras_object, serialize_keras_object
from tests.helpers import assert_close, keras

FAMILIES = ("losses", "metrics", "initializers", "regularizers", "constraints", "activations",
            "optimizers")
# Names Keras' tables hold that layerax does not: the abstract base classes (Keras files never
# name them) and Keras' two singular initializer spellings.
NOT_IN_LAYERAX = {"Initializer", "initializer", "one", "zero", "Regularizer", "regularizer",
                  "Constraint", "constraint", "optimizer"}
# Keras layers that wrap another framework's model.
NOT_LAYERAX_LAYERS = {"TFSMLayer", "TorchModuleWrapper"}


@pytest.fixture(scope="module")
def keras_tables() -> dict[str, dict[str, object]]:
    import importlib

    keras()  # the JAX backend check
    return {family: importlib.import_module(f"keras.src.{family}").ALL_OBJECTS_DICT
            for family in FAMILIES}


def _namespaces(family: str) -> tuple[str, ...]:
    return ("metrics", "metrics.functions") if family == "metrics" else (family,)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_keras_name_finds_the_object_of_the_same_name(keras_tables, family) -> None:
    checked = 0
    for name, keras_obj in keras_tables[family].items():
        if name in NOT_IN_LAYERAX:
            continue
        found = registry.lookup(_namespaces(family), name)
        assert found is not None, f"{family}: Keras' {name!r} is not in the registry"
        assert found.__name__ == keras_obj.__name__, (family, name)
        assert inspect.isclass(found) == inspect.isclass(keras_obj), (family, name)
        checked += 1
    assert checked >= 8  # the smallest families (regularizers, constraints) have 8 names


def test_every_keras_layer_class_is_declared_under_its_name() -> None:
    k = keras()
    names = [n for n in dir(k.layers)
             if inspect.isclass(getattr(k.layers, n)) and issubclass(getattr(k.layers, n), k.layers.Layer)]
    assert len(names) > 150
    for name in sorted(set(names) - NOT_LAYERAX_LAYERS):
        cls = registry.lookup("layers", name)
        assert inspect.isclass(cls) and issubclass(cls, lx.layers.Layer), name
        assert cls.__name__ == getattr(k.layers, name).__name__, name
    # An alias of `lx.layers` finds its class; the layers' namespace holds InputSpec too, but
    # `lx.layers.get` only returns layers.
    assert registry.lookup("layers", "Convolution2D") is lx.layers.Conv2D
    assert registry.lookup("layers", "InputSpec") is lx.layers.InputSpec
    with pytest.raises(ValueError, match="Could not interpret layer identifier: 'InputSpec'"):
        lx.layers.get("InputSpec")


def test_gets_read_the_table_and_keep_keras_meaning() -> None:
    # A function name gives the function, a class name a new instance (Keras 3's rule).
    assert lx.losses.get("mse") is lx.losses.mean_squared_error
    assert type(lx.losses.get("meansquarederror")) is lx.losses.MeanSquaredError
    assert type(lx.metrics.get("mse")) is lx.metrics.MeanSquaredError
    assert type(lx.metrics.get("accuracy")) is lx.metrics.Accuracy
    assert lx.metrics.deserialize_function("accuracy") is lx.metrics.accuracy
    assert lx.metrics.deserialize("binary_focal_crossentropy") is lx.losses.binary_focal_crossentropy
    assert type(lx.initializers.get("GLOROT_UNIFORM")) is lx.initializers.GlorotUniform
    assert lx.activations.get("swish") is lx.activations.silu
    assert lx.activations.serialize(lx.activations.swish) == "silu"
    assert type(lx.optimizers.get("schedulefreeadamw")) is lx.optimizers.ScheduleFreeAdamW
    assert type(lx.regularizers.get("l1l2")) is lx.regularizers.L1L2


@pytest.mark.parametrize("family, get", [
    ("loss", lx.losses.get), ("metric", lx.metrics.get), ("initializer", lx.initializers.get),
    ("regularizer", lx.regularizers.get), ("constraint", lx.constraints.get),
    ("activation", lx.activations.get), ("optimizer", lx.optimizers.get),
])
def test_unknown_names_list_the_valid_ones(family, get) -> None:
    with pytest.raises(ValueError, match=f"Could not interpret {family} identifier: 'nope'") as err:
        get("nope")
    valid = str(err.value).split("Valid names are: ")[1].split(". You can")[0].split(", ")
    assert valid == sorted(valid) and all(name == name.lower() for name in valid) and len(valid) > 3


def test_a_second_object_under_a_taken_name_is_refused_and_the_table_is_unchanged() -> None:
    def huber(y_true, y_pred):
        return y_true - y_pred

    with pytest.raises(ValueError, match=r"'losses' already has 'huber'.*Give it another name"):
        registry.register("losses")(huber)
    assert registry.lookup("losses", "huber") is lx.losses.huber
    with pytest.raises(ValueError, match=r"Unknown registry namespace: 'loss'\. Expected one of"):
        registry.register("loss")
    # Declaring the same object again (a module reloaded) is accepted.
    assert registry.register("losses", "mse")(lx.losses.mean_squared_error) is lx.losses.mean_squared_error


def test_user_classes_stay_out_of_the_table_until_registered(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_CUSTOM", dict(registry._CUSTOM))
    monkeypatch.setattr(registry, "_CUSTOM_NAMES", dict(registry._CUSTOM_NAMES))

    class Scaled(lx.layers.Layer):
        def call(self, x):
            return 3 * x

    class Halved(lx.losses.Loss):
        def call(self, y_true, y_pred):
            return 0.5 * jnp.mean(y_pred - y_true, axis=-1)

    assert registry.lookup("layers", "Scaled") is None
    assert registry.namespace_of(Scaled) == "layers" and registry.namespace_of(Halved) == "losses"
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        lx.losses.get("Halved")
    lx.saving.register_serializable(package="tests_registry")(Halved)
    assert type(lx.losses.get("tests_registry>Halved")) is Halved
    config = serialize_keras_object(Halved())
    assert (config["module"], config["registered_name"]) == (__name__, "tests_registry>Halved")
    assert type(deserialize_keras_object(config)) is Halved
    # custom objects come first, then the scopes, then the built-ins.
    with lx.saving.custom_object_scope({"mse": Halved}):
        assert registry.lookup("losses", "mse") is Halved
    assert registry.lookup("losses", "mse", {"mse": abs}) is abs


@pytest.mark.parametrize("obj, module", [
    (lx.activations.relu, "layerax.activations"),
    (lx.losses.mean_squared_error, "layerax.losses"),
    (lx.metrics.accuracy, "layerax.metrics"),
    (lx.optimizers.Adam(0.1), "layerax.optimizers"),
    (lx.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), "layerax.optimizers.schedules"),
    (lx.initializers.STFT(), "layerax.initializers"),
    (lx.regularizers.L2(0.1), "layerax.regularizers"),
    (lx.constraints.NonNeg(), "layerax.constraints"),
    (lx.metrics.AUC(), "layerax.metrics"),
    (lx.layers.Conv2D(2, 3), "layerax.layers"),
])
def test_serialized_objects_name_their_family_and_come_back(obj, module) -> None:
    config = serialize_keras_object(obj)
    assert config["module"] == module
    back = deserialize_keras_object(config)
    if inspect.isfunction(obj):
        assert back is obj
    else:
        assert type(back) is type(obj) and back.get_config() == obj.get_config()


def test_a_plain_optimizer_belongs_to_the_optimizers_through_its_base() -> None:
    import optax

    config = serialize_keras_object(lx.optimizers.Optimizer(optax.sgd(0.1)))
    assert config["module"] == "layerax.optimizers"


@pytest.fixture(scope="module")
def cross_entropy_step():
    loss = lx.losses.resolve_loss("ce", np.zeros((4,)), np.zeros((4, 3)))
    return loss, jax.jit(lambda y, p: loss(y, p))


@pytest.mark.parametrize("to_array", [np.asarray, jnp.asarray], ids=["numpy", "jax"])
def test_label_shapes_pick_the_cross_entropy(cross_entropy_step, to_array) -> None:
    assert lx.losses.is_binary_or_sparse_categorical is lx.metrics.is_binary_or_sparse_categorical
    check = lx.losses.is_binary_or_sparse_categorical
    assert check(to_array(np.zeros((4,))), to_array(np.zeros((4, 3)))) == (False, True)
    assert check(to_array(np.zeros((4, 1))), to_array(np.zeros((4, 1)))) == (True, False)
    assert check(to_array(np.zeros((4, 3))), to_array(np.zeros((4, 3)))) == (False, False)
    loss, jitted = cross_entropy_step
    assert loss.fn is lx.losses.sparse_categorical_crossentropy
    labels = np.array([0, 2, 1, 2])
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.25, 0.25, 0.5]],
                     np.float32)
    expected = -np.mean(np.log(probs[np.arange(4), labels]))
    assert_close(jitted(to_array(labels), to_array(probs)), expected, rtol=1e-5)


def test_a_metric_wrapping_a_declared_loss_is_minimized() -> None:
    assert lx.metrics.MeanMetricWrapper(lx.losses.mean_squared_error)._direction == "down"
    assert lx.metrics.MeanMetricWrapper(lx.losses.Huber())._direction == "down"
    assert getattr(lx.metrics.MeanMetricWrapper(lx.metrics.accuracy), "_direction", None) != "down"
