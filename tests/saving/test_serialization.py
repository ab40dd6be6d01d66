"""get_config/from_config round trips (through JSON) for every public class of every family,
and the lx.saving registration helpers."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import layerax as lx

# Constructor arguments for the classes that need some (besides all defaults). A class
# added to a family without defaults for its arguments must get an entry here.
REQUIRED = {
    "Dense": {"units": 3},
    "Activation": {"activation": "relu"},
    "AlphaDropout": {"rate": 0.1},
    "Dot": {"axes": (1, 1)},
    "Dropout": {"rate": 0.2, "noise_shape": (None, 1), "seed": 3},
    "EinsumDense": {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"},
    "Embedding": {"input_dim": 10, "output_dim": 4, "mask_zero": True},
    "GaussianDropout": {"rate": 0.1},
    "GaussianNoise": {"stddev": 0.1},
    "Lambda": {"function": lx.activations.relu, "output_shape": (3,)},
    "MaxoutDense": {"output_dim": 3},
    "Permute": {"dims": (2, 1)},
    "RepeatVector": {"n": 2},
    "Reshape": {"target_shape": (2, -1)},
    "SpatialDropout1D": {"rate": 0.1},
    "SpatialDropout2D": {"rate": 0.1},
    "SpatialDropout3D": {"rate": 0.1},
    "DepthwiseConv1D": {"kernel_size": 3, "depth_multiplier": 2},
    "DepthwiseConv2D": {"kernel_size": (3, 2), "depthwise_regularizer": "l2"},
    "InputLayer": {"shape": (3, 4), "dtype": "int32", "name": "tokens"},
    "LossFunctionWrapper": {"fn": lx.losses.mean_absolute_error},
    "MeanMetricWrapper": {"fn": lx.metrics.mean_squared_error if hasattr(lx.metrics, "mean_squared_error")
                          else lx.losses.mean_squared_error},
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2]},
    "MeanIoU": {"num_classes": 3},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": 2, "warmup_target": 0.2},
    "CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 5},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True},
    "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "PiecewiseConstantDecay": {"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
    "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "power": 2.0},
    "LossScaleOptimizer": {"inner_optimizer": lx.optimizers.SGD(0.1, momentum=0.5),
                           "initial_scale": 64.0, "dynamic_growth_steps": 5},
}
# Recurrent and attention layers; wrappers get fresh sub-layers for every test.
REQUIRED.update({
    "SimpleRNN": {"units": 3, "return_sequences": True},
    "SimpleRNNCell": {"units": 3},
    "LSTM": {"units": 3, "go_backwards": True, "dropout": 0.1},
    "LSTMCell": {"units": 3},
    "GRU": {"units": 3, "reset_after": False},
    "GRUCell": {"units": 3},
    "ConvLSTMCell": {"rank": 2, "filters": 2, "kernel_size": 3},
    "MultiHeadAttention": {"num_heads": 2, "key_dim": 3, "dropout": 0.1},
    "GroupedQueryAttention": {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
    "GroupQueryAttention": {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
})
# Classes added for Keras 3.15's names.
REQUIRED.update({
    **{f"Adaptive{kind}Pooling{d}D": {"output_size": 2} for kind in ("Average", "Max") for d in (1, 2, 3)},
    "ReversibleEmbedding": {"input_dim": 10, "output_dim": 4, "tie_weights": False},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [0, 2]},
    "OneHotMeanIoU": {"num_classes": 3},
    "PrecisionAtRecall": {"recall": 0.5},
    "RecallAtPrecision": {"precision": 0.5},
    "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
})
# Numeric preprocessing layers (issue 19).
# Image preprocessing layers (issue 19).
REQUIRED.update({
    "CenterCrop": {"height": 4, "width": 5}, "RandomCrop": {"height": 4, "width": 5},
    "Resizing": {"height": 4, "width": 5, "interpolation": "nearest"},
    "MaxNumBoundingBoxes": {"max_number": 3}, "Rescaling": {"scale": 0.5, "offset": 1.0},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.2},
    "RandomZoom": {"height_factor": 0.1}, "RandomRotation": {"factor": 0.2},
    "RandomPosterization": {"factor": 4},
    **{name: {"factor": 0.3} for name in (
        "RandomBrightness", "RandomColorDegeneration", "RandomContrast", "RandomHue",
        "RandomSaturation", "RandomSharpness")},
})
REQUIRED.update({
    "CategoryEncoding": {"num_tokens": 4, "output_mode": "count"},
    "Discretization": {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"},
    "Hashing": {"num_bins": 5, "salt": [1, 2], "mask_value": ""},
    "HashedCrossing": {"num_bins": 5, "output_mode": "one_hot"},
})
_WITH_LAYERS = {
    "RNN": lambda: {"cell": lx.layers.LSTMCell(2), "return_state": True},
    "StackedRNNCells": lambda: {"cells": [lx.layers.LSTMCell(2), lx.layers.GRUCell(3)]},
    "Bidirectional": lambda: {"layer": lx.layers.LSTM(2, return_sequences=True), "merge_mode": "sum"},
    "TimeDistributed": lambda: {"layer": lx.layers.Dense(2)},
    "Wrapper": lambda: {"layer": lx.layers.Dense(2)},
    "SpectralNormalization": lambda: {"layer": lx.layers.Dense(2), "power_iterations": 2},
    "Pipeline": lambda: {"layers": [lx.layers.Dense(2), lx.layers.Dense(1)]},
    "OptimizerMap": lambda: {"default_optimizer": lx.optimizers.SGD(),
                             "optimizer_map": {"enc/.*": lx.optimizers.Adam()}},
    "MultiOptimizer": lambda: {"optimizer_map": lx.optimizers.OptimizerMap(
        lx.optimizers.SGD(), {"enc/.*": lx.optimizers.Adam()})},
}
# JaxLayer / FlaxLayer: registered functions and a Flax module with a get_config.
_WITH_LAYERS.update({
    "JaxLayer": lambda: {"call_fn": _jax_layer_test().stateful_call,
                         "init_fn": _jax_layer_test().stateful_init, "seed": 3},
    "FlaxLayer": lambda: {"module": _jax_layer_test().ConfigurableDense(3)},
})


def _jax_layer_test():
    from tests.layers import test_jax_layer

    return test_jax_layer
# Families of classes sharing their required arguments.
_CONV = {"filters": 4, "kernel_size": 3, "strides": 1, "padding": "same", "activation": "relu",
         "kernel_initializer": lx.initializers.HeNormal(seed=1), "bias_constraint": lx.constraints.NonNeg()}
_POOL = {"pool_size": 2, "padding": "same"}

# Abstract bases that have no configuration of their own to round trip: the optax
# wrapper needs a transformation object (see test_raw_optax_optimizer_is_not_serialized)
# and the bare schedule base class has no get_config.
NOT_CONFIGURABLE = {"Optimizer", "LearningRateSchedule"}
# Abstract bases of families resolved by name tables that list only concrete classes
# (as Keras' `initializers.deserialize`): round-tripped with from_config only.
ABSTRACT = {"Initializer", "Regularizer", "Constraint"}


def _kwargs(name):
    if name in REQUIRED:
        return REQUIRED[name]
    if name in _WITH_LAYERS:
        return _WITH_LAYERS[name]()
    if "Conv" in name:
        conv = dict(_CONV)
        if "Depthwise" in name:
            conv.pop("filters")
        if "Separable" in name:
            conv["depthwise_initializer"] = conv.pop("kernel_initializer")
        return conv
    if "Pool" in name and "Global" not in name:
        return _POOL
    return {}


def _families():
    from layerax.optimizers import schedules

    return {
        "layers": lx.layers, "losses": lx.losses, "metrics": lx.metrics, "optimizers": lx.optimizers,
        "schedules": schedules, "initializers": lx.initializers, "regularizers": lx.regularizers,
        "constraints": lx.constraints,
    }


def _public_classes():
    cases = []
    for family, module in _families().items():
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and name not in NOT_CONFIGURABLE:
                cases.append((family, name, obj))
    return cases


CASES = _public_classes()


def _normalize(config):
    return json.loads(json.dumps(config, default=lambda v: np.asarray(v).tolist()))


@pytest.mark.parametrize("family,name,cls", CASES, ids=[f"{f}.{n}" for f, n, _ in CASES])
def test_config_round_trip_through_json(family, name, cls):
    kwargs = _kwargs(name)
    try:
        obj = cls(**kwargs)
    except TypeError as err:
        pytest.fail(f"{family}.{name} needs constructor arguments: add them to REQUIRED ({err})")
    config = obj.get_config()
    text = json.dumps(config, default=lambda v: np.asarray(v).tolist())
    again = type(obj).from_config(json.loads(text))
    assert type(again) is type(obj)
    assert _normalize(again.get_config()) == _normalize(config)
    if name in ABSTRACT:
        return
    # The generic helpers agree (module-tagged config, found by family).
    serialized = lx.saving.serialize_keras_object(obj)
    assert serialized["class_name"] == type(obj).__name__
    rebuilt = lx.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert type(rebuilt) is type(obj)
    assert _normalize(rebuilt.get_config()) == _normalize(config)


def test_every_family_is_covered():
    covered = {family for family, _, _ in CASES}
    assert covered == set(_families())
    assert len([c for c in CASES if c[0] == "layers"]) >= 80


def test_built_layers_and_nested_configs_round_trip():
    layer = lx.layers.Dense(3, kernel_regularizer=lx.regularizers.L1L2(0.1, 0.2),
                            kernel_constraint=lx.constraints.MaxNorm(2.0),
                            bias_initializer=lx.initializers.Constant(0.5))
    layer(np.ones((2, 4), "float32"))
    again = lx.layers.Dense.from_config(json.loads(json.dumps(layer.get_config())))
    assert isinstance(again.kernel_regularizer, lx.regularizers.L1L2) and again.kernel_regularizer.l2 == 0.2
    assert isinstance(again.kernel_constraint, lx.constraints.MaxNorm)
    again(np.ones((2, 4), "float32"))
    np.testing.assert_array_equal(again.bias.numpy(), np.full((3,), 0.5, "float32"))
    opt = lx.optimizers.Adam(lx.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    again = lx.saving.deserialize_keras_object(json.loads(json.dumps(lx.saving.serialize_keras_object(opt))))
    assert isinstance(again._schedule, lx.optimizers.schedules.ExponentialDecay)
    spec = lx.layers.InputSpec(ndim=3, axes={-1: 4})
    assert lx.layers.InputSpec.from_config(json.loads(json.dumps(spec.get_config()))) == spec


def test_plain_values_functions_and_errors():
    value = {"a": (1, 2.5, "x"), "b": [None, True], "c": np.arange(3, dtype="int32")}
    again = lx.saving.deserialize_keras_object(json.loads(json.dumps(lx.saving.serialize_keras_object(value))))
    assert again["a"] == (1, 2.5, "x") and again["b"] == [None, True]
    assert again["c"].dtype == np.int32 and again["c"].tolist() == [0, 1, 2]
    relu = lx.saving.serialize_keras_object(lx.activations.relu)
    assert relu["module"] == "layerax.activations"
    assert lx.saving.deserialize_keras_object(relu) is lx.activations.relu
    mse = lx.saving.serialize_keras_object(lx.losses.mean_squared_error)
    assert lx.saving.deserialize_keras_object(mse) is lx.losses.mean_squared_error
    with pytest.raises(ValueError, match="Unknown layer class: 'Nope'.*custom_objects"):
        lx.saving.deserialize_keras_object({"module": "layerax.layers", "class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Unknown function 'mystery'"):
        lx.saving.deserialize_keras_object({"module": "x", "class_name": "function", "config": "mystery"})
    with pytest.raises(TypeError, match="has no get_config"):
        lx.saving.serialize_keras_object(object())


def test_register_serializable_and_custom_object_scope():
    @lx.saving.register_serializable(package="audit", name="Halve")
    class Halve(lx.layers.Layer):
        def __init__(self, factor=0.5, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    config = json.loads(json.dumps(lx.saving.serialize_keras_object(Halve(0.25))))
    assert config["registered_name"] == "audit>Halve"
    assert lx.saving.get_registered_name(Halve) == "audit>Halve"
    assert lx.saving.get_registered_object("audit>Halve") is Halve
    assert lx.saving.deserialize_keras_object(config).factor == 0.25

    class Unregistered(lx.layers.Layer):
        def call(self, x):
            return x

    config = json.loads(json.dumps(lx.saving.serialize_keras_object(Unregistered())))
    with pytest.raises(ValueError, match="Unknown layer class: 'Unregistered'"):
        lx.saving.deserialize_keras_object(config)
    assert type(lx.saving.deserialize_keras_object(config, custom_objects={"Unregistered": Unregistered})) \
        is Unregistered
    with lx.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert type(lx.saving.deserialize_keras_object(config)) is Unregistered
    with pytest.raises(TypeError, match="must implement get_config"):
        lx.saving.register_serializable()(type("NoConfig", (), {}))


def test_raw_optax_optimizer_is_not_serialized_but_the_model_still_saves(tmp_path):
    import optax

    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    model.save(str(tmp_path / "m.layerax"))
    with pytest.warns(UserWarning, match="could not be saved"):
        loaded = lx.models.load_model(str(tmp_path / "m.layerax"))
    assert not getattr(loaded, "compiled", False)  # recompile with the optax transformation
    np.testing.assert_array_equal(loaded(np.ones((1, 3), "float32")), model(np.ones((1, 3), "float32")))


def test_get_custom_objects_is_the_live_registry_like_keras():
    from tests.helpers import keras

    for lib in (lx, keras()):
        registry = lib.saving.get_custom_objects()
        kept = dict(registry)  # other tests' registered classes come back afterwards
        try:
            @lib.saving.register_keras_serializable(package="audit_pkg", name="triple")
            def triple(x):
                return 3 * x

            assert registry["audit_pkg>triple"] is triple, lib.__name__
            assert lib.saving.get_registered_object("audit_pkg>triple") is triple
            registry.clear()
            assert lib.saving.get_registered_object("audit_pkg>triple") is None, lib.__name__
            registry["by_hand"] = triple  # entries added by hand are found too
            assert lib.saving.get_registered_object("by_hand") is triple
        finally:
            registry.clear()
            registry.update(kept)


def _nesting_layer(lib):
    class Nesting(lib.layers.Layer):
        """Its get_config returns its sub-objects as they are, like Keras' guides do."""

        def __init__(self, sublayer, regularizer=None, **kwargs):
            super().__init__(**kwargs)
            self.sublayer, self.regularizer = sublayer, regularizer

        def call(self, x):
            return self.sublayer(x)

        def get_config(self):
            return {**super().get_config(), "sublayer": self.sublayer, "regularizer": self.regularizer}

        @classmethod
        def from_config(cls, config):
            config["sublayer"] = lib.layers.deserialize(config["sublayer"])
            return cls(**config)

    return Nesting


def _structure(config):
    """class names and config keys of a serialized object, recursively (the format-free part)."""
    if isinstance(config, dict) and "class_name" in config:
        return (config["class_name"], _structure(config["config"]))
    if isinstance(config, dict):
        return {k: _structure(v) for k, v in config.items() if k != "dtype"}
    return config


def test_sub_objects_returned_by_get_config_are_serialized_like_keras(tmp_path):
    from tests.helpers import keras

    configs = {}
    for lib in (lx, keras()):
        Nesting = _nesting_layer(lib)
        layer = Nesting(lib.layers.Dense(3, name="inner"), lib.regularizers.L1L2(l1=0.1), name="outer")
        configs[lib.__name__] = lib.saving.serialize_keras_object(layer)["config"]
        json.dumps(configs[lib.__name__])  # plain data
    ours, theirs = configs["layerax"], configs["keras"]
    assert _structure(ours["regularizer"]) == _structure(theirs["regularizer"])
    assert _structure(ours["sublayer"])[0] == "Dense" and ours["sublayer"]["config"]["units"] == 3

    Nesting = _nesting_layer(lx)
    inner = lx.layers.Dense(3, name="inner")
    inputs = lx.Input((4,))
    model = lx.Model(inputs, Nesting(inner, name="outer")(inputs))
    with lx.saving.custom_object_scope({"Nesting": Nesting}):
        again = lx.Model.from_config(model.get_config())
    rebuilt = again.get_layer("outer").sublayer
    assert rebuilt is not inner and rebuilt.units == 3  # a new layer, not a shared one
    model.save(str(tmp_path / "nested.keras"))
    loaded = lx.models.load_model(str(tmp_path / "nested.keras"), custom_objects={"Nesting": Nesting})
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
