"""Size goals that keep the trainer split by job (issue 22): `trainers/trainer.py` holds
the public methods, and the step machinery, loops and bookkeeping live beside it."""

from __future__ import annotations

import inspect

from layerax.trainers import trainer


def test_trainer_file_and_fit_stay_small() -> None:
    file_lines = len(inspect.getsource(trainer).splitlines())
    fit_lines = len(inspect.getsource(trainer.Trainer.fit).splitlines())
    assert file_lines <= 450, (
        f"layerax/trainers/trainer.py has {file_lines} lines (goal: at most 450). Move step, "
        "loop or bookkeeping code into trainers/steps.py, loops.py or attributes.py"
    )
    assert fit_lines <= 60, (
        f"Trainer.fit has {fit_lines} lines, signature and docstring included (goal: at most "
        "60). Move its preparation into trainers/data_adapters.py or loops.py"
    )
