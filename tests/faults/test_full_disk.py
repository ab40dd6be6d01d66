"""A save that runs out of space raises `OSError` and leaves the previous file intact.

Two real write failures, in one child process: where the test may mount a
small tmpfs (root), the disk is filled up (ENOSPC, h5py's "errno = 28"); then,
everywhere, the child lowers its file-size limit (`RLIMIT_FSIZE`, with
`SIGXFSZ` ignored), and the kernel fails the writes past it (EFBIG) inside
HDF5's C code too. h5py reported both as a `RuntimeError`.
"""

from __future__ import annotations

import os
import subprocess

from tests.faults._children import run

CHILD = r"""
import errno, os, resource, signal, sys
import numpy as np
import layerax as lx

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

def save(m, path):
    (m.save if path.endswith(".layerax") else m.save_weights)(path)

def save_previous(directory):
    for suffix in formats:
        save(model(1.0), os.path.join(directory, "m" + suffix))

def check_failed_saves(directory, codes, keep=()):
    for suffix in formats:
        path = os.path.join(directory, "m" + suffix)
        try:
            save(model(2.0), path)
        except OSError as err:
            assert not isinstance(err, RuntimeError), type(err)
            assert err.errno in codes, (suffix, err)
            assert path in str(err) or err.filename == path, err
            code = errno.errorcode[err.errno]
        else:
            raise AssertionError(f"{suffix}: the save on a full disk did not fail")
        loaded = lx.models.load_model(path) if suffix == ".layerax" else model(0.0)
        if suffix != ".layerax":
            loaded.load_weights(path)
        assert all(np.all(w == 1.0) for w in loaded.get_weights()), suffix
        left = sorted(set(os.listdir(directory)) - set(keep))
        assert left == sorted("m" + s for s in formats), left
        print("intact", suffix, code, flush=True)

full, limited = sys.argv[1], sys.argv[2]
if full:
    save_previous(full)
    fd = os.open(os.path.join(full, "filler"), os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk up
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as err:
        assert err.errno == errno.ENOSPC, err
    finally:
        os.close(fd)
    check_failed_saves(full, {errno.ENOSPC}, keep=["filler"])
save_previous(limited)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (32 << 10, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
check_failed_saves(limited, {errno.EFBIG})
print("finished", flush=True)
"""


def _mount_small_tmpfs(directory: str) -> bool:
    os.makedirs(directory)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", directory],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def test_a_save_on_a_full_disk_raises_oserror_and_keeps_the_previous_file(tmp_path):
    disk, limited = str(tmp_path / "disk"), str(tmp_path / "limited")
    os.makedirs(limited)
    mounted = os.geteuid() == 0 and _mount_small_tmpfs(disk)
    try:
        out = run(CHILD, disk if mounted else "", limited, timeout=120)
    finally:
        if mounted:
            subprocess.run(["umount", disk], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[-1] == "finished"
    assert "intact .weights.h5 EFBIG" in lines
    if mounted:
        assert "intact .weights.h5 ENOSPC" in lines
