"""FarmHash Fingerprint64, SipHash-2-4 and the crossing hash against published outputs.

Sources of the expected values:
* FarmHash `Fingerprint64` (`farmhashna::Hash64`): the string table of
  tecnickcom/farmhash64 (c/test/test_farmhash64.c) and the Go port's tests
  (leemcloughlin/gofarmhash, farmhash_test.go), which cover every length branch
  (0-16, 17-32, 33-64 and the 64-byte loop).
* SipHash-2-4: the reference vectors of the SipHash paper / siphash24.c (key 00 01 .. 0f,
  message 00 01 .. of length 0..63).
* The bins of Keras' `Hashing` / `HashedCrossing` (TensorFlow's `to_hash_bucket_fast`,
  `to_hash_bucket_strong` and `sparse.cross_hashed`): the outputs asserted by Keras 3.15's
  own docstrings and tests (keras/src/layers/preprocessing/hashing_test.py,
  hashed_crossing_test.py). Keras needs TensorFlow to run these layers, which is not installed,
  so its recorded outputs are the oracle.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.layers.preprocessing.numeric import _hash64

_GO_HELP = (
    "Go is a tool for managing Go source code.Usage:\tgo command [arguments]The commands are:"
    "    build       compile packages and dependencies    clean       remove object files"
    "    env         print Go environment information    fix         run go tool fix on packages"
    "    fmt         run gofmt on package sources    generate    generate Go files by processing "
    "source    get         download and install packages and dependencies    install     compile"
    " and install packages and dependencies    list        list packages    run         compile "
    "and run Go program    test        test packages    tool        run specified go tool    "
    "version     print Go version    vet         run go tool vet on packagesUse go help [command] "
    "for more information about a command.Additional help topics:    c           calling between"
    " Go and C    filetype    file types    gopath      GOPATH environment variable    importpath"
    "  import path syntax    packages    description of package lists    testflag    description"
    " of testing flags    testfunc    description of testing functionsUse go help [topic] for "
    "more information about that topic."
)

FARMHASH64 = [
    ("", 0x9AE16A3B2F90404F),
    ("a", 0xB3454265B6DF75E3),
    ("abc", 0x24A5B3A074E7F369),
    ("abcdefg", 0x3C40C92B1CCB7355),
    ("abcdefgh", 0xFEE9D22990C82909),
    ("0123456789'01234", 0x4283D4EF43627F64),
    ("0123456789=012345", 0x46A7416ED4861E3B),
    ("0123456789$0123456789!0", 0xD78D5F852D522E6A),
    ("C is as portable as Stonehedge!!", 0xB944F8A16261E414),
    ("Discard medicine more than two years old.", 0xE8F89AB6DF9BDD25),
    ("The major problem is with sendmail.  -Mark Horton", 0xC2F8DB8624FEFC0E),
    ("For every action there is an equal and opposite government program.", 0x55182F8859ECA4CE),
    ("There is no reason for any individual to have a computer in their home. -Ken Olsen, 1977",
     0x7E85D7B050ED2967),
    ("0123456789%0123456789£", 0x4DBD128AF51D77E8),  # UTF-8: 23 bytes
    ("docklandsman@gmail.com", 0xB678CF3842309F40),
    (_GO_HELP, 0xAFE256550E4567C9),
]


@pytest.mark.parametrize("text,expected", FARMHASH64,
                         ids=[str(len(t.encode())) for t, _ in FARMHASH64])
def test_fingerprint64_published_vectors(text, expected):
    assert _hash64.fingerprint64(text.encode("utf-8")) == expected


SIPHASH24 = {
    0: 0x726FDB47DD0E0E31, 1: 0x74F839C593DC67FD, 7: 0xAB0200F58B01D137,
    8: 0x93F5F5799A932462, 9: 0x9E0082DF0BA9E4B0, 15: 0xA129CA6149BE45E5,
    16: 0x3F2ACC7F57C29BDB, 31: 0x32D892FAD841C342, 32: 0x7127512F72F27CCE,
    63: 0x958A324CEB064572,
}


def test_siphash24_reference_vectors():
    key = bytes(range(16))
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    for length, expected in SIPHASH24.items():
        assert _hash64.siphash24((k0, k1), bytes(range(length))) == expected, length


WORDS = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]
LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]
# (layer kwargs, inputs, Keras' recorded output)
KERAS_HASHING = [
    ({"num_bins": 3}, LETTERS, [[1], [0], [1], [1], [2]]),
    ({"num_bins": 3, "mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]],
     [[1], [1], [0], [2], [2]]),
    ({"num_bins": 3, "salt": [133, 137]}, LETTERS, [[1], [2], [1], [0], [2]]),
    ({"num_bins": 3, "salt": 133}, LETTERS, [[0], [0], [2], [1], [0]]),
    ({"num_bins": 2}, WORDS, [[0], [0], [1], [0], [0]]),
    ({"num_bins": 1}, LETTERS, [[0], [0], [0], [0], [0]]),
    ({"num_bins": 3, "mask_value": ""}, WORDS, [[1], [1], [2], [1], [1]]),
    ({"num_bins": 3, "mask_value": "omar"}, WORDS, [[0], [1], [2], [1], [1]]),
    ({"num_bins": 2, "salt": [133, 137]}, WORDS, [[0], [1], [0], [1], [0]]),
    ({"num_bins": 2, "salt": [211, 137]}, WORDS, [[1], [0], [1], [0], [1]]),
    ({"num_bins": 3}, [[0], [1], [2], [3], [4]], [[1], [0], [1], [0], [2]]),
    ({"num_bins": 3, "salt": [133, 137]}, [[0], [1], [2], [3], [4]], [[1], [1], [2], [0], [1]]),
    ({"num_bins": 2}, [[1, 2], [2, 3], [3, 4]], [[1, 1], [1, 1], [1, 1]]),
    ({"num_bins": 2}, ["omar", "stringer", "marlo", "wire", "skywalker"], [0, 0, 1, 0, 0]),
]


def test_hashing_gives_keras_bins_for_lists_numpy_bytes_and_object_arrays():
    for kwargs, inputs, expected in KERAS_HASHING:
        layer = lx.layers.Hashing(**kwargs)
        assert np.asarray(layer(inputs)).tolist() == expected, kwargs
        assert np.asarray(layer(np.asarray(inputs))).tolist() == expected, kwargs
        if isinstance(np.asarray(inputs).flat[0], str):
            as_bytes = np.vectorize(lambda s: s.encode())(np.asarray(inputs)).astype(object)
            assert np.asarray(layer(as_bytes)).tolist() == expected, kwargs


def test_integer_hashing_under_jit_and_vmap_runs_on_the_host_and_agrees():
    layer = lx.layers.Hashing(num_bins=3, salt=[133, 137])
    x = np.array([[0], [1], [2], [3], [4]])
    expected = [[1], [1], [2], [0], [1]]
    assert jax.jit(layer)(jnp.asarray(x)).tolist() == expected
    assert jax.vmap(layer)(jnp.asarray(x)).tolist() == expected
    # Floats are truncated to integers before hashing, as Keras casts them to int64.
    assert np.asarray(layer(x + 0.7)).tolist() == expected


def test_hashed_crossing_gives_keras_bins():
    feat1 = np.array(["A", "B", "A", "B", "A"])
    feat2 = np.array([101, 101, 101, 102, 102])
    layer = lx.layers.HashedCrossing(num_bins=5)
    assert np.asarray(layer((feat1, feat2))).tolist() == [1, 4, 1, 1, 3]
    assert np.asarray(layer((feat1[:, None], feat2[:, None]))).tolist() == [[1], [4], [1], [1], [3]]
    assert int(lx.layers.HashedCrossing(num_bins=10)((np.array("A"), np.array(101)))) == 1
    one_hot = lx.layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    # Integer features cross under jit (host callback), with the same bins as eagerly.
    ints = (np.array([1, 2, 3]), np.array([4, 5, 6]))
    eager = np.asarray(layer(ints))
    assert jax.jit(layer)(tuple(jnp.asarray(v) for v in ints)).tolist() == eager.tolist()
    # The crossing is the documented fold: FingerprintCat64 from the key, feature by feature.
    h = _hash64.CROSS_HASH_KEY
    for f in (1, 4):
        h = _hash64.fingerprint_cat64(h, f)
    assert eager[0] == h % 5
