"""Layer.add_metric in fit's logs, and RemoteMonitor against a real HTTP server."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype("float32")
Y = RNG.normal(size=(40, 1)).astype("float32")


class Probed(lx.Model):
    def __init__(self):
        super().__init__()
        self.dense = lx.layers.Dense(1)

    def call(self, x):
        out = self.dense(x)
        self.add_metric(jnp.mean(jnp.abs(out)), name="mean_abs_output")
        self.add_metric(jnp.asarray(x.shape[0], jnp.float32), name="samples", aggregation="sum")
        return out


def test_add_metric_appears_in_logs_averaged_over_the_epoch():
    model = Probed()
    model(X[:1])
    model.compile(optimizer=lx.optimizers.SGD(0.0), loss="mse")
    history = model.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    per_batch = [np.mean(np.abs(np.asarray(model(X[i : i + 10])))) for i in range(0, 40, 10)]
    assert_close(history.history["mean_abs_output"], [np.mean(per_batch)] * 2, rtol=1e-5)
    assert history.history["samples"] == [40.0, 40.0]
    logs = model.evaluate(X, Y, batch_size=20, verbose=0, return_dict=True)
    assert_close(logs["mean_abs_output"], np.mean(np.abs(np.asarray(model(X)))), rtol=1e-5)
    assert logs["samples"] == 40.0


def test_add_metric_needs_a_name_and_is_cleared_each_call():
    model = Probed()
    model(X[:2])
    assert [name for name, _, _ in model.added_metrics] == ["mean_abs_output", "samples"]
    model(X[:2])
    assert len(model.added_metrics) == 2
    with pytest.raises(ValueError, match="needs a `name`"):
        lx.layers.Layer().add_metric(1.0)
    with pytest.raises(ValueError, match="aggregation"):
        lx.layers.Layer().add_metric(1.0, name="x", aggregation="max")


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length).decode()
        _Recorder.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_remote_monitor_posts_epoch_logs(server):
    model = Probed()
    model(X[:1])
    model.compile(optimizer="sgd", loss="mse")
    monitors = [lx.callbacks.RemoteMonitor(root=server),
                lx.callbacks.RemoteMonitor(root=server, path="/json", send_as_json=True, headers={"X-Run": "7"})]
    history = model.fit(X, Y, batch_size=20, epochs=2, verbose=0, callbacks=monitors)
    form = [r for r in _Recorder.received if r[0] == "/publish/epoch/end/"]
    as_json = [r for r in _Recorder.received if r[0] == "/json"]
    assert len(form) == 2 and len(as_json) == 2
    payload = json.loads(urllib.parse.parse_qs(form[1][2])["data"][0])
    assert payload["epoch"] == 1 and payload["loss"] == pytest.approx(history.history["loss"][1])
    assert as_json[0][1] == "application/json"
    assert json.loads(as_json[0][2])["epoch"] == 0


def test_remote_monitor_unreachable_server_warns_and_training_continues():
    model = Probed()
    model(X[:1])
    model.compile(optimizer="sgd", loss="mse")
    monitor = lx.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=0.5)
    with pytest.warns(RuntimeWarning, match="Could not reach RemoteMonitor"):
        history = model.fit(X, Y, batch_size=20, epochs=2, verbose=0, callbacks=[monitor])
    assert len(history.history["loss"]) == 2
