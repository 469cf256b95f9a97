"""Notebook 03's constants and profiles: the five tasks and their letters, the methods of Table 7, the
:class:`Settings` of each profile (:data:`SETTINGS`, :func:`settings`), what the paper profile cuts
(:data:`PAPER_CUTS`) and :func:`describe_profiles`; plus a network's letter name and the task objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile
from paper_mtl.tasks import Task, get_task


TASKS: tuple[str, ...] = ("segment_semantic", "depth_zbuffer", "normal", "keypoints2d", "edge_texture")
LETTERS: dict[str, str] = {"segment_semantic": "s", "depth_zbuffer": "d", "normal": "n", "keypoints2d": "k", "edge_texture": "e"}
PAPER_COLUMNS: dict[str, str] = {letter.upper(): task for task, letter in LETTERS.items()}
STRATEGIES = ("sum", "mgda", "gradnorm")
ENCODERS = ("small", "resnet18")
HALF = 0.5

METHODS: dict[str, str] = {
    "mgda": "Sener et al.",
    "gradnorm": "GradNorm",
    "pessimal": "Pessimal Grouping",
    "traditional": "Traditional MTL",
    "random": "Random Groupings",
    "independent": "Independent",
    "esa": "Ours (ESA)",
    "hoa": "Ours (HOA)",
    "optimal": "Ours Optimal",
}
"""Our method keys and the row names of the paper's Table 7, in its order."""


@dataclass(frozen=True)
class Settings:
    """Sizes of one profile.

    ``baselines`` lists the (method, budget) pairs of Table 7 that need their own training: ``traditional``,
    ``mgda`` and ``gradnorm`` are all-in-one networks of that cost; ``independent`` T single-task networks of
    cost budget/T each. (Traditional MTL at 1, Independent at T/2 and T come free from the 36 candidates.)
    """

    size: int
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    batch_size: int
    lr: float
    decoder_width: int
    baselines: tuple[tuple[str, float], ...]
    random_trials: int
    readout_epochs: int
    small_data_fraction: float
    resnet_width: float
    resnet_epochs: int
    predictions: int = 3
    early_fraction: float = 0.2

    @property
    def budgets(self) -> list[float]:
        """1, 1.5, ..., T SNT (Sec. 4: budgets from 1 to 5 at increments of 0.5)."""
        return [float(b) for b in np.arange(1.0, len(TASKS) + 0.25, 0.5)]


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        size=16, n_train=64, n_val=32, n_test=32, epochs=1, batch_size=16, lr=2e-3, decoder_width=4,
        baselines=(("mgda", 1.0), ("gradnorm", 1.0), ("traditional", 2.5)),
        random_trials=50, readout_epochs=1, small_data_fraction=0.5, resnet_width=0.0625, resnet_epochs=1,
        predictions=1,
    ),
    "quick": Settings(
        size=16, n_train=768, n_val=128, n_test=128, epochs=5, batch_size=32, lr=3e-3, decoder_width=8,
        baselines=(
            ("mgda", 1.0), ("mgda", 2.0), ("mgda", 2.5), ("mgda", 4.0), ("gradnorm", 1.0), ("gradnorm", 4.0),
            ("traditional", 2.0), ("traditional", 2.5), ("traditional", 4.0), ("independent", 1.0),
        ),
        random_trials=1000, readout_epochs=3, small_data_fraction=0.25, resnet_width=0.125, resnet_epochs=5,
    ),
    "paper": Settings(
        size=64, n_train=3072, n_val=1024, n_test=1024, epochs=4, batch_size=128, lr=2e-3, decoder_width=16,
        baselines=(
            ("mgda", 1.0), ("mgda", 2.0), ("mgda", 2.5), ("mgda", 4.0), ("gradnorm", 1.0), ("gradnorm", 4.0),
            ("traditional", 2.0), ("traditional", 2.5), ("traditional", 4.0),
            ("independent", 1.0), ("independent", 1.5), ("independent", 2.0), ("independent", 4.0),
        ),
        random_trials=1000, readout_epochs=4, small_data_fraction=1 / 16, resnet_width=1.0, resnet_epochs=6,
    ),
}
"""Per-profile sizes; ``paper`` is cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "3,072 training images for 4 epochs (96 steps a network; the paper trains on Taskonomy until early stopping) and "
    f"the ResNet-18s of Table 1 for 6, {PAPER_LEASE}: 8,192 images for 12 epochs would take about 8 times the kernel "
    "launches, and the epochs were cut from 6 and 12 to make room for the decisive comparisons' seeds; the decisive comparisons "
    "between trained models retrain 2 more seeds each (about 28 small-encoder networks for Sec. 4.1 and Sec. 5's "
    "headline, 8 for Table 5 and 18 ResNet-18s for Table 1: roughly +50 % of this notebook's trainings); the 36 "
    "candidates and the other baselines train one seed"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def letter_name(tasks: Sequence[str], cost: float = 1.0) -> str:
    """A network's name: its task letters in upper case (the paper's ``SDN``), ``/2`` for a half-size network."""
    name = "".join(LETTERS[t].upper() for t in TASKS if t in tasks)
    return name if cost == 1.0 else f"{name}/{1 / cost:g}" if (1 / cost).is_integer() else f"{name}@{cost:g}"


def task_objects(tasks: Sequence[str] = TASKS) -> dict[str, Task]:
    """The tasks with the scene's class count for segmentation."""
    for t in tasks:
        check_choice("task", t, TASKS)
    return {t: get_task(t, classes=len(scene_classes("indoor"))) if t == "segment_semantic" else get_task(t) for t in tasks}


def _early_steps(s: Settings) -> int:
    """ESA (Sec. 3.3.1): the validation loss after a pass through 20% of the training data."""
    return max(1, int(round(s.early_fraction * (s.n_train // s.batch_size))))


def describe_profiles() -> pd.DataFrame:
    """What each profile covers, one row per profile."""
    rows = []
    for name, s in SETTINGS.items():
        rows.append({
            "profile": name, "image": f"{s.size}x{s.size}", "train/val/test": f"{s.n_train}/{s.n_val}/{s.n_test}",
            "epochs": s.epochs, "batch": s.batch_size, "ESA steps": _early_steps(s),
            "trained baselines": ", ".join(f"{m}@{b:g}" for m, b in s.baselines),
            "random trials": s.random_trials, "ResNet-18 width": s.resnet_width,
            "Table 5 share of data": s.small_data_fraction,
        })
    return pd.DataFrame(rows)
