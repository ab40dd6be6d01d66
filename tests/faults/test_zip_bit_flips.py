"""One-bit flips in the zip headers of `.weights.npz` files and `.layerax` archives.

A damaged version-needed field, flag word (the encryption bit) or compression
method made `zipfile` raise NotImplementedError, RuntimeError or zlib.error;
every unreadable file must be a ValueError naming the file, so that
`BackupAndRestore` falls back to its intact `.bkp` copy.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

import layerax as lx
from layerax.saving.archive import read_archive
from layerax.saving.weights import collect_weights
from layerax.saving.weights_formats import read_weights

LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def _header_fields(data: bytes) -> list[int]:
    """Offsets of the version-needed, flag and method bytes of every zip header."""
    offsets = []
    for signature, start in ((LOCAL, 4), (CENTRAL, 6)):
        i = data.find(signature)
        while i >= 0:
            offsets += [i + start + k for k in range(6)]
            i = data.find(signature, i + 1)
    return offsets


def _model():
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _flips(data: bytes):
    for offset in _header_fields(data):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[offset] ^= 1 << bit
            yield bytes(damaged)


@pytest.mark.parametrize("name", ["model.weights.npz", "model.layerax"])
def test_header_bit_flips_give_a_value_error_naming_the_file_or_the_same_values(name, tmp_path):
    model = _model()
    path = str(tmp_path / name)
    if name.endswith(".layerax"):
        model.save(path)
        read = lambda p: read_archive(p).weights  # noqa: E731
    else:
        model.save_weights(path)
        read = lambda p: read_weights(p)[0]  # noqa: E731
    with open(path, "rb") as f:
        data = f.read()
    want = read(path)
    damaged_path = str(tmp_path / ("damaged." + name))
    outcomes = {"loaded": 0, "ValueError": 0}
    for damaged in _flips(data):
        with open(damaged_path, "wb") as f:
            f.write(damaged)
        try:
            got = read(damaged_path)
        except ValueError as err:
            assert repr(damaged_path) in str(err) or damaged_path in str(err), err
            outcomes["ValueError"] += 1
            continue
        assert sorted(got) == sorted(want)
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])
        outcomes["loaded"] += 1
    # Both outcomes occur (e.g. the UTF-8 name flag is harmless, the method is not).
    assert outcomes["ValueError"] > 0 and outcomes["loaded"] > 0, outcomes


class _Interrupt(lx.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt


def test_backup_and_restore_falls_back_to_the_intact_bkp_copy(tmp_path):
    x = np.random.default_rng(0).standard_normal((8, 3)).astype("float32")
    y = np.random.default_rng(1).standard_normal((8, 2)).astype("float32")
    backup = str(tmp_path / "backup")
    model = _model()
    callback = lx.callbacks.BackupAndRestore(backup, double_checkpoint=True)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, shuffle=False, callbacks=[callback, _Interrupt()], verbose=0)
    latest = f"{backup}/latest.layerax"
    bkp_weights = read_archive(latest + ".bkp").weights  # the state after epoch 0
    with open(latest, "rb") as f:
        data = bytearray(f.read())
    # The encryption flag of the archive's first member, in its (outer) central directory.
    end = data.rfind(b"PK\x05\x06")
    (central,) = struct.unpack("<I", data[end + 16 : end + 20])
    assert data[central : central + 4] == CENTRAL
    data[central + 8] ^= 1
    with open(latest, "wb") as f:
        f.write(bytes(data))
    with pytest.raises(ValueError, match="latest.layerax"):
        read_archive(latest)

    resumed = _model()
    seen = {}

    class Record(lx.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.update({k: v.copy() for k, v in collect_weights(self.model)[0].items()})

    history = resumed.fit(x, y, epochs=4, shuffle=False, callbacks=[callback, Record()], verbose=0)
    assert len(history.history["loss"]) == 3  # epochs 1, 2 and 3: resumed from the .bkp copy
    for key, value in bkp_weights.items():
        np.testing.assert_array_equal(seen[key], value)
