"""One-bit flips anywhere in a `.weights.h5` file: a `ValueError` or the saved values, never a hang
or a crash.

HDF5 can loop forever or segfault on a damaged file, so the raw bytes are
checked against the digest in the file's user block before HDF5 parses them.
The flips run in child processes (many per child) under a timeout, so that a
hang or a signal fails the test instead of the test run.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess

import h5py
import numpy as np

import layerax as lx
from tests.faults._children import run

CHILD = r"""
import json, os, sys
import numpy as np
import layerax as lx
path, cases = sys.argv[1], json.loads(sys.argv[2])
with open(path, "rb") as f:
    data = f.read()
def model():
    return lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2)])
good = model()
good.load_weights(path)
want = good.get_weights()
damaged_path = path[: -len(".weights.h5")] + "-damaged.weights.h5"
with open(damaged_path, "wb") as f:
    f.write(data)
fd = os.open(damaged_path, os.O_WRONLY)
target = model()
for i, (offset, bit) in enumerate(cases):
    # Flip one byte in place, and put it back after the case (rewriting the whole file
    # each time costs more than the load itself).
    os.pwrite(fd, bytes([data[offset] ^ (1 << bit)]), offset)
    print("case", i, flush=True)  # the case running if the process hangs or dies
    try:
        target.load_weights(damaged_path)
    except ValueError as err:
        assert "damaged.weights.h5" in str(err), err
        print("ValueError", flush=True)
        continue
    finally:
        os.pwrite(fd, data[offset : offset + 1], offset)
    got = target.get_weights()
    equal = len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want))
    print("equal" if equal else "DIFFERENT", flush=True)
print("finished", flush=True)
"""

FLIPS, PER_CHILD = 1200, 1200  # one child: starting one (importing JAX) costs seconds


def _save_model(model, tmp_path):
    path = str(tmp_path / "small.weights.h5")
    model.save_weights(path)
    return path


def _save(tmp_path):
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2)])
    return _save_model(model, tmp_path)


def test_bit_flips_give_value_error_or_equal_values_never_a_hang_or_signal(tmp_path):
    path = _save(tmp_path)
    with open(path, "rb") as f:
        size = len(f.read())
    rng = random.Random(24)
    # Half the flips in the first 4 KB (HDF5's superblock and object headers), half anywhere.
    cases = [(rng.randrange(min(size, 4096)), rng.randrange(8)) for _ in range(FLIPS // 2)]
    cases += [(rng.randrange(size), rng.randrange(8)) for _ in range(FLIPS - len(cases))]
    counts = {"ValueError": 0, "equal": 0}
    for start in range(0, len(cases), PER_CHILD):
        batch = cases[start : start + PER_CHILD]
        try:
            out = run(CHILD, path, json.dumps(batch), timeout=60)
        except subprocess.TimeoutExpired as err:
            stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else err.stdout or ""
            running = stdout.split("case")[-1].split()[0]
            raise AssertionError(f"load_weights hung on flip {batch[int(running)]}") from None
        lines = out.stdout.split()
        if out.returncode != 0:
            last = [w for w in out.stdout.splitlines() if w.startswith("case")][-1]
            case = batch[int(last.split()[1])]
            if out.returncode < 0:
                died = f"signal {signal.Signals(-out.returncode).name}"
            else:
                died = out.stderr[-2000:]
            raise AssertionError(f"load_weights died on flip {case}: {died}")
        assert lines[-1] == "finished"
        assert "DIFFERENT" not in lines
        counts["ValueError"] += lines.count("ValueError")
        counts["equal"] += lines.count("equal")
    assert sum(counts.values()) == FLIPS
    # Most flips hit the checked bytes; flips in the user block's padding change nothing.
    assert counts["ValueError"] > FLIPS // 2 and counts["equal"] > 0, counts


def test_files_without_the_digest_still_load(tmp_path):
    # As Keras (and earlier layerax versions) write them: no user block, no digest.
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2)])
    path = _save_model(model, tmp_path)
    plain = str(tmp_path / "plain.weights.h5")
    with h5py.File(path, "r") as src, h5py.File(plain, "w") as dst:
        assert src.userblock_size == 512
        for key in src:
            src.copy(src[key], dst, name=key)
    with open(plain, "rb") as f:
        assert f.read(8) == b"\x89HDF\r\n\x1a\n"
    other = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2)])
    other.load_weights(plain)
    assert len(other.get_weights()) == 4
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
