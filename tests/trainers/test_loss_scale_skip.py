"""A step that mixed_float16 loss scaling skips keeps no forward-pass state (issue 24, item 8).

An overflowing forward pass makes every gradient non-finite: the LossScaleOptimizer skips
the weight update, and the BatchNorm moving statistics of that step are dropped too
(Keras 3 assigns them, leaving them NaN for good).
"""

from __future__ import annotations

import numpy as np

import layerax as lx


def test_skipped_step_keeps_batchnorm_moving_stats():
    lx.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = lx.Sequential(
            [lx.Input((3,)), lx.layers.Dense(4, kernel_initializer="ones"), lx.layers.BatchNormalization()]
        )
        model.compile(optimizer=lx.optimizers.SGD(0.01), loss="mse")
        assert isinstance(model.optimizer, lx.optimizers.LossScaleOptimizer)
        huge = np.full((4, 3), 6e4, "float32")  # Dense output 1.8e5 overflows float16
        y = np.zeros((4, 4), "float32")
        bn = model.layers[-1]
        before = [np.asarray(v) for v in model.get_weights()]
        scale_before = float(np.asarray(model.optimizer.dynamic_scale))
        model.train_on_batch(huge, y)
        after = [np.asarray(v) for v in model.get_weights()]
        # Skipped: the scale halves, and every weight (trainable or not) is unchanged.
        assert float(np.asarray(model.optimizer.dynamic_scale)) == scale_before / 2
        for b, a in zip(before, after):
            np.testing.assert_array_equal(a, b)
        # A finite step afterwards still trains, and moves the statistics as Keras' formula says.
        x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
        model.train_on_batch(x, y)
        h = (x @ np.ones((3, 4))).astype("float16").astype("float32")
        np.testing.assert_allclose(np.asarray(bn.moving_mean), 0.01 * h.mean(0), rtol=2e-3, atol=1e-4)
        assert np.isfinite(np.asarray(bn.moving_variance)).all()
    finally:
        lx.mixed_precision.set_global_policy("float32")


def test_skipped_step_keeps_batchnorm_stats_with_a_compute_loss_override():
    class Custom(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(4, kernel_initializer="ones")
            self.bn = lx.layers.BatchNormalization()

        def call(self, x, training=None):
            return self.bn(self.dense(x), training=training)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return lx.ops.mean(lx.ops.square(y - y_pred))

    lx.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = Custom()
        model(np.zeros((1, 3), "float32"))
        model.compile(optimizer=lx.optimizers.SGD(0.01))
        before = [np.asarray(v) for v in model.get_weights()]
        model.train_on_batch(np.full((4, 3), 6e4, "float32"), np.zeros((4, 4), "float32"))
        for b, a in zip(before, model.get_weights()):
            np.testing.assert_array_equal(np.asarray(a), b)
    finally:
        lx.mixed_precision.set_global_policy("float32")
