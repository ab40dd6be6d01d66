"""Picklable PyDatasets (module level) for the worker-process tests."""

from __future__ import annotations

import os

import numpy as np

from layerax.trainers.py_dataset import PyDataset


class PidDataset(PyDataset):
    """Batch i is (i, pid of the process that loaded it)."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return np.full((2,), index), os.getpid()
