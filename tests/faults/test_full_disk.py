"""A save that runs out of space raises `OSError` and leaves the previous file intact.

The child process lowers its file-size limit (`RLIMIT_FSIZE`, with `SIGXFSZ`
ignored): the kernel then fails the writes past the limit as a full disk
would (`EFBIG` instead of `ENOSPC`), inside HDF5's C code too. h5py reported
that as a `RuntimeError`.
"""

from __future__ import annotations

from tests.faults._children import run

CHILD = r"""
import os, resource, signal, sys
import numpy as np
import layerax as lx
directory = sys.argv[1]
def model(value):
    m = lx.Sequential([lx.Input((64,)), lx.layers.Dense(512), lx.layers.Dense(8)])
    m.set_weights([np.full(w.shape, value, "float32") for w in m.get_weights()])
    return m
formats = [".weights.h5", ".weights.npz", ".layerax"]
try:
    import safetensors  # noqa: F401
    formats.append(".safetensors")
except ImportError:
    pass
for suffix in formats:
    path = os.path.join(directory, "m" + suffix)
    (model(1.0).save if suffix == ".layerax" else model(1.0).save_weights)(path)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (32 << 10, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
for suffix in formats:
    path = os.path.join(directory, "m" + suffix)
    new = model(2.0)
    try:
        (new.save if suffix == ".layerax" else new.save_weights)(path)
    except OSError as err:
        assert not isinstance(err, RuntimeError), type(err)
        assert path in str(err) or err.filename == path, err
    else:
        raise AssertionError(f"{suffix}: the save past the size limit did not fail")
    loaded = lx.models.load_model(path) if suffix == ".layerax" else model(0.0)
    if suffix != ".layerax":
        loaded.load_weights(path)
    assert all(np.all(w == 1.0) for w in loaded.get_weights()), suffix
    assert sorted(os.listdir(directory)) == sorted("m" + s for s in formats), os.listdir(directory)
    print("intact", suffix, flush=True)
print("finished", len(formats), flush=True)
"""


def test_a_save_on_a_full_disk_raises_oserror_and_keeps_the_previous_file(tmp_path):
    out = run(CHILD, str(tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines()[-1].startswith("finished")
    assert "intact .weights.h5" in out.stdout
