"""Notebook 05's constants and sizes: Table 1's models (:data:`MODELS`), Table 2's methods (:data:`METHODS`), the
scene tasks and their error columns, and each profile's :class:`Settings` (:func:`settings`, :data:`PAPER_CUTS`,
:func:`settings_table`).

(Named ``config`` rather than ``settings`` so that the package's :func:`settings` function is not shadowed by a
submodule of the same name.)"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from paper_mtl.gradients import cosine_column
from paper_mtl.profiles import PAPER_LEASE, check_profile


MODELS: dict[str, tuple[str, float | None]] = {
    "No reg": ("plain", None),
    "Dropout": ("dropout", None),
    "Batchnorm": ("batchnorm", None),
    "CosReg(α=10)": ("plain", 10.0),
    "CosReg(α=0.1) + Batchnorm": ("batchnorm", 0.1),
}
"""Table 1's rows: (network variant, CosReg α or None for no penalty)."""

METHODS = ("Single Task", "Equal Task Weights", "Gradnorm", "Kendall", "CosReg")
"""Table 2's rows, named as in the paper."""

SCENE_TASKS = ("segment_semantic", "depth_zbuffer", "normal")
ERROR_COLUMNS = {"segment_semantic": "seg_1_minus_miou", "depth_zbuffer": "depth_rmse", "normal": "normal_1_minus_abs_cos"}
PAIR = cosine_column("left", "right")


@dataclass(frozen=True)
class Settings:
    """Sizes of notebook 05's experiments for one profile.

    MultiDigit: ``digit_sizes`` (train, val, test) images of ``image_size`` pixels; Table 1 trains every model
    ``runs`` times for ``epochs`` epochs with ``filters`` filters, batch ``batch_size`` and Adam at ``lr`` (the
    paper's 20, 64 and 1e-3). Figure 3's grid is every model x ``grid_filters`` x ``grid_batch_sizes`` x
    ``grid_lrs`` x ``grid_runs`` seeds (the paper: five seeds per setting; ``quick`` and ``paper`` spend that budget on
    more settings, one seed each). ``window`` is Figure 4's rolling window. Scenes: ``scene_train`` /
    ``scene_test`` images at ``4 * target_size`` pixels with targets at ``target_size``; a SegNet of ``scene_width``
    times VGG16's channels and ``scene_stages`` stages, trained ``scene_epochs`` epochs at batch
    ``scene_batch_size`` with Adam at ``scene_lr``. Sec. 4's batch-size sentence compares the unregularised model
    at each of ``sigma_batch_sizes`` (Table 1's filters, learning rate and ``runs`` seeds; paired by seed; the
    batch size of Table 1 among them, so those runs are Table 1's). Table 2's mixed-results sentence compares equal
    weights with single-task networks of ``single_task_runs`` seeds (the first is Table 2's Δm reference).
    """

    digit_sizes: tuple[int, int, int]
    image_size: int
    epochs: int
    runs: int
    grid_filters: tuple[int, ...]
    grid_batch_sizes: tuple[int, ...]
    grid_lrs: tuple[float, ...]
    grid_runs: int
    window: int
    scene_train: int
    scene_test: int
    target_size: int
    scene_width: float
    scene_stages: int
    scene_epochs: int
    scene_batch_size: int
    scene_lr: float
    filters: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    alpha_scene: float = 10.0
    sigma_batch_sizes: tuple[int, ...] = (64, 128)
    single_task_runs: int = 1


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        digit_sizes=(128, 64, 64), image_size=32, epochs=1, runs=2, batch_size=32,
        grid_filters=(20,), grid_batch_sizes=(32,), grid_lrs=(1e-3,), grid_runs=1, window=2,
        scene_train=8, scene_test=4, target_size=8, scene_width=1 / 16, scene_stages=3, scene_epochs=1,
        scene_batch_size=4, scene_lr=1e-3, sigma_batch_sizes=(32, 64),
    ),
    "quick": Settings(
        digit_sizes=(2000, 500, 1000), image_size=32, epochs=4, runs=3,
        grid_filters=(10, 20), grid_batch_sizes=(64,), grid_lrs=(1e-3, 3e-4), grid_runs=1, window=50,
        scene_train=160, scene_test=80, target_size=16, scene_width=1 / 8, scene_stages=5, scene_epochs=3,
        scene_batch_size=8, scene_lr=1e-3,
    ),
    "paper": Settings(
        digit_sizes=(4000, 1000, 2000), image_size=64, epochs=3, runs=5,
        grid_filters=(10, 20, 40), grid_batch_sizes=(64, 128), grid_lrs=(1e-3, 3e-4), grid_runs=1, window=50,
        scene_train=795, scene_test=654, target_size=32, scene_width=1 / 2, scene_stages=5, scene_epochs=3,
        scene_batch_size=8, scene_lr=1e-4, single_task_runs=3,
    ),
}
"""Per-profile sizes. ``paper`` keeps the paper's MultiDigit images (64x64), network (20 filters), batch 64, Adam
1e-3 and 5 runs, and NYUv2's split sizes and Adam 1e-4 for the scenes at 128x128 inputs / 32x32 targets (the paper:
320/80, 25 epochs), cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "a quarter of MultiDigit's splits (4,000/1,000/2,000 of 16,000/4,000/5,000) for 3 epochs, and the scenes at "
    f"batch 8 instead of 2 for 3 epochs, {PAPER_LEASE}: the full splits and batch 2 would take about 5 "
    "times the kernel launches (the epochs were cut from 4 to make room for the seeds). The claims' seeds: Table 1's five runs per model (the paper's) are its seeds; "
    "Table 2's four multi-task methods train 3 seeds each, 8 networks more than one seed (the single-task networks, "
    "Δm's reference only, train one): on the H200 the 7 scene networks took about 76 s, so the seeds add about 90 s; the single-task networks train 3 seeds "
    "for Table 2's mixed-results row only (2 x 3 networks more, about 65 s; Δm's reference stays the first seed)"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def settings_table(profile: str) -> pd.DataFrame:
    """The profile's settings as a two-column table (for the notebook)."""
    return pd.DataFrame([{"setting": k, "value": str(v)} for k, v in asdict(settings(profile)).items()])
