"""`model.export(format="jax")` and `lx.export.ExportArchive`: StableHLO programs that run with
jax alone (checked in a child process where importing layerax fails), polymorphic in the batch
size, with clear errors and atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import layerax as lx

pytest.importorskip("flatbuffers")

RNG = np.random.default_rng(0)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()

# Runs in a fresh interpreter in which `import layerax` raises: only jax and numpy.
CHILD = textwrap.dedent(
    """
    import json, sys
    sys.modules["layerax"] = None
    import numpy as np
    from jax import export
    path, inputs_path, out_path = sys.argv[1:4]
    store = np.load(f"{path}/variables.npz")
    meta = json.load(open(f"{path}/signature.json"))
    variables = [store[f"v{i}"] for i in range(meta["num_variables"])]
    data = np.load(inputs_path)
    results = {}
    for name in meta["endpoints"]:
        program = export.deserialize(bytearray(open(f"{path}/{name}.jaxexport", "rb").read()))
        for key in sorted(data.files):
            results[f"{name}:{key}"] = np.asarray(program.call(variables, data[key]))
    np.savez(out_path, **results)
    """
)


def _run_without_layerax(path: str, inputs: dict[str, np.ndarray], tmp_path) -> dict[str, np.ndarray]:
    inputs_path = str(tmp_path / "inputs.npz")
    out_path = str(tmp_path / "outputs.npz")
    np.savez(inputs_path, **inputs)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", CHILD, path, inputs_path, out_path],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(out_path) as out:
        return {k: out[k] for k in out.files}


@pytest.fixture(scope="module")
def trained_model():
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(8, activation="relu"),
                           lx.layers.BatchNormalization(), lx.layers.Dropout(0.5),
                           lx.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = RNG.normal(size=(32, 3)).astype("float32")
    model.fit(x, RNG.normal(size=(32, 2)).astype("float32"), epochs=1, batch_size=8, verbose=0)
    return model


def test_export_runs_without_layerax_for_any_batch_size(trained_model, tmp_path) -> None:
    path = str(tmp_path / "served")
    trained_model.export(path, format="jax", verbose=False)
    assert sorted(os.listdir(path)) == ["serve.jaxexport", "signature.json", "variables.npz"]
    meta = json.loads(_read(os.path.join(path, "signature.json")))
    assert meta["endpoints"]["serve"]["inputs"] == [{"shape": [None, 3], "dtype": "float32"}]
    inputs = {"b1": RNG.normal(size=(1, 3)).astype("float32"),
              "b5": RNG.normal(size=(5, 3)).astype("float32")}
    results = _run_without_layerax(path, inputs, tmp_path)
    for key, x in inputs.items():
        # Inference mode: BatchNorm's moving statistics, no dropout.
        np.testing.assert_allclose(results[f"serve:{key}"], trained_model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    # The in-process loader gives the same numbers.
    serve = lx.export.load_jax_export(path)["serve"]
    np.testing.assert_allclose(serve(inputs["b5"]), results["serve:b5"], rtol=1e-6)


def test_functional_models_with_list_and_dict_inputs(tmp_path) -> None:
    a, b = lx.Input((3,), name="a"), lx.Input((2,), name="b")
    out = lx.layers.Dense(1)(lx.layers.Concatenate()([a, b]))
    xa, xb = RNG.normal(size=(4, 3)).astype("float32"), RNG.normal(size=(4, 2)).astype("float32")
    for name, model, args in [("list", lx.Model([a, b], out), [xa, xb]),
                              ("dict", lx.Model({"a": a, "b": b}, out), {"a": xa, "b": xb})]:
        path = str(tmp_path / name)
        model.export(path, format="jax", verbose=False)
        serve = lx.export.load_jax_export(path)["serve"]
        np.testing.assert_allclose(serve(args), model(args), rtol=1e-5, atol=1e-6)


def test_subclassed_model_signature_given_or_from_its_build(tmp_path) -> None:
    class Net(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(2)

        def call(self, x):
            return self.dense(x) * 2.0

    net = Net()
    x = RNG.normal(size=(3, 4)).astype("float32")
    net(x)
    net.export(str(tmp_path / "built"), format="jax", verbose=False)
    net.export(str(tmp_path / "given"), format="jax", verbose=False,
               input_signature=[lx.InputSpec(shape=(None, 4), dtype="float32")])
    for name in ("built", "given"):
        serve = lx.export.load_jax_export(str(tmp_path / name))["serve"]
        np.testing.assert_allclose(serve(x[:2]), net(x[:2]), rtol=1e-5, atol=1e-6)


def test_export_archive_endpoints_collections_and_verify(trained_model, tmp_path, capsys) -> None:
    archive = lx.export.ExportArchive()
    archive.track(trained_model)
    spec = [lx.InputSpec(shape=(None, 3), dtype="float32")]
    archive.add_endpoint("serve", lambda x: trained_model(x, training=False), spec)
    archive.add_endpoint("double", lambda x: 2.0 * trained_model(x, training=False), spec)
    archive.add_variable_collection("extra", trained_model.trainable_variables)
    path = str(tmp_path / "archive")
    archive.write_out(path, verify=True)
    assert "endpoints: serve, double" in capsys.readouterr().out
    loaded = lx.export.load_jax_export(path)
    x = RNG.normal(size=(6, 3)).astype("float32")
    np.testing.assert_allclose(loaded["double"](x), 2.0 * loaded["serve"](x), rtol=1e-6)
    with np.load(os.path.join(path, "variables_extra.npz")) as extra:
        assert len(extra.files) == len(trained_model.trainable_variables)
    # Keras' ExportArchive method names are all here.
    keras = pytest.importorskip("keras")
    for name in ("track", "add_endpoint", "track_and_add_endpoint", "add_variable_collection",
                 "write_out"):
        assert hasattr(keras.export.ExportArchive, name) and hasattr(lx.export.ExportArchive, name)


def test_bad_archives_and_formats_raise_clear_errors(trained_model, tmp_path) -> None:
    archive = lx.export.ExportArchive()
    with pytest.raises(ValueError, match="takes a layer or a model"):
        archive.track(object())
    with pytest.raises(ValueError, match="must be built"):
        archive.track(lx.layers.Dense(2))
    with pytest.raises(ValueError, match="No endpoints"):
        archive.write_out(str(tmp_path / "none"))
    archive.track_and_add_endpoint("serve", trained_model, [lx.InputSpec(shape=(None, 3))])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("serve", trained_model, [lx.InputSpec(shape=(None, 3))])
    with pytest.raises(ValueError, match="input_signature"):
        archive.add_endpoint("other", trained_model)
    with pytest.raises(ValueError, match="not available in layerax"):
        trained_model.export(str(tmp_path / "x"), format="onnx")
    with pytest.raises(ValueError, match="Unknown export format"):
        trained_model.export(str(tmp_path / "x"), format="zip")
    with pytest.raises(ValueError, match="not a layerax jax export"):
        lx.export.load_jax_export(str(tmp_path))


def test_failed_export_leaves_the_previous_directory(trained_model, tmp_path) -> None:
    path = str(tmp_path / "served")
    trained_model.export(path, format="jax", verbose=False)
    before = {name: _read(os.path.join(path, name)) for name in os.listdir(path)}
    with pytest.raises(ValueError, match="Could not export endpoint 'serve'"):
        trained_model.export(path, format="jax", verbose=False,
                             input_signature=[lx.InputSpec(shape=(None, 5))])
    after = {name: _read(os.path.join(path, name)) for name in os.listdir(path)}
    assert before == after
    assert sorted(os.listdir(tmp_path)) == ["served"]


def test_tf_saved_model_needs_tensorflow(trained_model, tmp_path) -> None:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="format='jax'"):
            trained_model.export(str(tmp_path / "tf"))
        return
    import tensorflow as tf

    path = str(tmp_path / "tf")
    trained_model.export(path, verbose=False)
    reloaded = tf.saved_model.load(path)
    x = RNG.normal(size=(3, 3)).astype("float32")
    np.testing.assert_allclose(reloaded.serve(x).numpy(), trained_model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def _families():
    L = lx.layers
    x = lx.Input((5, 8))
    y = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(2, 4)(x, x)]))
    return {
        "cnn": lx.Sequential([lx.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu"),
                              L.MaxPooling2D(), L.BatchNormalization(), L.Flatten(), L.Dense(2)]),
        "rnn": lx.Sequential([lx.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(3)]),
        "embedding": lx.Sequential([lx.Input((6,), dtype="int32"), L.Embedding(10, 4, mask_zero=True),
                                    L.GlobalAveragePooling1D()]),
        "attention": lx.Model(x, L.Dense(2)(L.Reshape((40,))(y))),
        "reshaping": lx.Sequential([lx.Input((4, 3)), L.Permute((2, 1)), L.Reshape((-1,)),
                                    L.RepeatVector(2), L.Conv1D(2, 1), L.GlobalMaxPooling1D()]),
    }


def test_layer_families_export_with_a_symbolic_batch(tmp_path) -> None:
    for name, model in _families().items():
        spec = model.inputs[0]
        shape = (3, *spec.shape[1:])
        if "int" in str(spec.dtype):
            x = RNG.integers(0, 10, shape).astype("int32")
        else:
            x = RNG.normal(size=shape).astype("float32")
        path = str(tmp_path / name)
        model.export(path, format="jax", verbose=False)
        serve = lx.export.load_jax_export(path)["serve"]
        for batch in (x, x[:1]):
            np.testing.assert_allclose(serve(batch), model.predict(batch, verbose=0),
                                       rtol=1e-5, atol=1e-5, err_msg=name)
