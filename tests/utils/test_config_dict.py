"""lx.utils.Config (layerax/utils/config_dict.py) against keras.utils.Config."""

from __future__ import annotations

import json

import pytest

import layerax as lx
from tests.helpers import keras


def _both():
    return lx.utils.Config(lr=0.1, layers=[1, 2]), keras().utils.Config(lr=0.1, layers=[1, 2])


def test_reads_and_writes_like_keras():
    ours, theirs = _both()
    for c in (ours, theirs):
        c.momentum = 0.9
        c["name"] = "sgd"
        c.update(decay=1e-4)
    assert ours.as_dict() == theirs.as_dict()
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert (ours.lr, ours["momentum"], ours.get("missing", 5)) == (theirs.lr, theirs["momentum"], 5)
    assert json.loads(ours.to_json()) == json.loads(theirs.to_json())
    assert ("lr" in ours) == ("lr" in theirs) and list(ours.items()) == list(theirs.items())
    assert repr(ours) == repr(theirs)
    assert ours.pop("decay") == theirs.pop("decay")
    del ours["name"], theirs["name"]
    assert ours.as_dict() == theirs.as_dict()


def test_frozen_config_refuses_changes_like_keras():
    ours, theirs = _both()
    for c in (ours, theirs):
        c.freeze()
        assert c.frozen
        for change in (lambda: setattr(c, "lr", 1), lambda: c.__setitem__("lr", 1),
                       lambda: c.update(lr=1), lambda: c.pop("lr"), lambda: c.__delitem__("lr")):
            with pytest.raises(ValueError, match="frozen"):
                change()
        c.unfreeze()
        c.lr = 0.5
    assert ours.lr == theirs.lr == 0.5


def test_unknown_attribute_suggests_a_close_name():
    ours, theirs = _both()
    with pytest.raises(AttributeError, match="Did you mean 'layers'"):
        ours.layer
    with pytest.raises(AttributeError, match="Did you mean 'layers'"):
        theirs.layer


def test_copies_and_pickles_are_independent():
    import copy
    import pickle

    config = lx.utils.Config(a=[1])
    clone = copy.deepcopy(config)
    clone.a.append(2)
    assert config.a == [1] and clone.a == [1, 2]
    assert pickle.loads(pickle.dumps(config)).as_dict() == {"a": [1]}
