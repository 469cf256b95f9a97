"""Experiments of notebook 01: Mao et al., "Multitask Learning Strengthens Adversarial Robustness" (supplement).

Data (:func:`scene_source`): the prepared Taskonomy (``data_scripts/prepare_taskonomy.py``, its building-disjoint
``train`` and ``test`` splits) when both splits exist, else procedural indoor scenes
(:func:`paper_mtl.data.scenes.render`), with the eleven Taskonomy tasks of the paper, by their letters (ANCHORS 01):

====== ==================== ========= ========================================================================
letter task                 paper     target as trained (following MTRobust's scaling where it applies)
====== ==================== ========= ========================================================================
s      segment_semantic     SemSeg    class id (11 classes; every pixel labelled), cross-entropy, mIoU
d      depth_zbuffer        DepthZ    log(1 + 512 z) / log(2^16), z in metres (Taskonomy stores 1/512 m units)
e      edge_texture         Edge2D    2 x - 1 (rescaled to [-1, 1])
k      keypoints2d          Key2D     2 x - 1
n      normal               Normal    unit normal, already in [-1, 1]
r      reshading            Reshad    2 x - 1
K      keypoints3d          Key3D     2 x - 1
D      depth_euclidean      DepthE    log(1 + 512 d) / log(2^16)
A      rgb (autoencoder)    AutoE     2 x - 1 of the input image
E      edge_occlusion       Edge3D    2 x - 1
p      principal_curvature  PCurve    2 k / (1 + k) - 1 for k >= 0 in 1/metre (a bounded squashing of ours)
====== ==================== ========= ========================================================================

Each regression target is then standardised per channel by the training split's mean and standard deviation (ours,
not MTRobust's: at our scale the compressed log-depth range made L1 learn nothing beyond a constant, and equal task
weights only mean something when losses start on one scale), and trained with plain L1. MTRobust masks geometric
tasks to pixels with valid depth; every pixel of our indoor scenes has valid depth, so that mask is all ones (the
library's ``masked_l1``, which reads a zero target as missing, would wrongly drop the zeros of edges, keypoints and
curvature). Segmentation uses plain cross-entropy (MTRobust adds a class-rebalancing prior). Reported numbers
follow the paper: mIoU for segmentation (higher is better), the mean per-image loss for every other task (lower is
better).

On Taskonomy (:func:`taskonomy_data`, :func:`scale_taskonomy`) the same scaling applies to the converter's
arrays, except that curvature, stored in [0, 1] with zero curvature near 127/255, gets MTRobust's 2 x - 1;
segmentation has the converter's 18 classes (unlabelled pixels ignored). Depth (d, D) and normals (n), which the
converter sets to 0 where there is no geometry, are standardised over valid pixels only, keep 0 at invalid ones and
are trained and scored with ``masked_l1`` (:data:`MASKED_LETTERS`); the other geometric tasks MTRobust masks by
depth (K, r, E, p) are scored on all pixels (see :mod:`paper_mtl.tasks`). The first ``n_train`` / ``n_test`` views
of each split are used, at ``size`` pixels. A prepared Taskonomy must hold every task the profile trains: each
experiment checks this before training and otherwise stops, naming the missing tasks (:func:`require_tasks`).
The source is part of every training configuration, so cached results never mix sources.

Attacks: L∞ PGD with ε = 4/255 and step 1/255 on images in [0, 1], random start uniform in the ball, the model
in eval mode; the step count is scaled by profile (the public code runs 50). A single-task attack maximises the
main task's loss only; a multi-task attack the unweighted sum of the attacked tasks' losses.

Training: Adam for every task, the learning rate divided by 10 for the last epochs (the paper uses SGD for some
tasks and Adam for others, 150 epochs with the rate divided by 10 at epoch 140; ours is sized per profile). Task
weights: the main task 1 and the auxiliary task λ_a ∈ {0.1, 0.01}, chosen per pair by the robust performance
(supplement Table 2); equal weights for the models of Figure 5. Algorithm 1 uses λ = 0.01.

Every training run goes through :func:`paper_mtl.sweep.run_sweep` (one cache), so a model shared by several
experiments (the single-task baselines of Table 1 and Figure 5) trains once and reruns are free. Functions
return DataFrames; :mod:`paper_mtl.plots.robustness` draws them.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import torch

from paper_mtl import published
from paper_mtl.claims import SANITY, SUPPORTING, Check, Claim, format_mean_se, seed_list
from paper_mtl.adversarial import (
    MultiTaskAdversarialTraining,
    PGDConfig,
    algorithm1_combinations,
    input_gradient_norm,
    robustness,
)
from paper_mtl.data.converters.taskonomy import TASKONOMY_TASKS
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared, prepared_splits
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.data.store import data_root, load_split
from paper_mtl.models import build_hard_sharing
from paper_mtl.profiles import PAPER_LEASE, by_profile, check_choice, decisive_seeds, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task, get_task
from paper_mtl.theory import equicorrelated, monte_carlo_vulnerability, sample_task_gradients, vulnerability_factor
from paper_mtl.training import fit
from paper_mtl.weighting.base import WeightedSum

TASK_LETTERS: dict[str, str] = {
    "s": "segment_semantic", "d": "depth_zbuffer", "e": "edge_texture", "k": "keypoints2d", "n": "normal",
    "r": "reshading", "K": "keypoints3d", "D": "depth_euclidean", "A": "rgb", "E": "edge_occlusion",
    "p": "principal_curvature",
}
"""Paper 01's task letters (ANCHORS 01), in the column order of supplement Table 1 below."""

PAPER_NAMES: dict[str, str] = {
    "s": "SemSeg", "d": "DepthZ", "e": "Edge2D", "n": "Normal", "r": "Reshad", "k": "Key2D", "K": "Key3D",
    "D": "DepthE", "A": "AutoE", "E": "Edge3D", "p": "PCurve",
}
"""The names supplement Tables 1 and 2 print, in their column order."""

LETTERS_BY_NAME = {name: letter for letter, name in PAPER_NAMES.items()}
FIGURE5_MODELS = ("s", "sd", "sde", "sdek", "sdekn", "sdeknr", "d", "e", "er", "k", "ks", "ksd")
PAPER_TABLE1_MAINS = "sdekn"
"""The main tasks of Table 1 that the paper profile trains (each with all ten auxiliaries): what one GPU lease holds."""
PAPER_CUTS = (
    f"Table 1 with the main tasks {', '.join(PAPER_TABLE1_MAINS)} only (50 of the 110 pairs, each with both λ) and 3 "
    f"epochs (48 steps) a network, {PAPER_LEASE}: all 110 pairs for 8 epochs would take about 6 times "
    "the kernel launches (the epochs were cut from 4 to make room for the seeds). Algorithm 1 trains the paper's Cityscapes pair only (s+d and d+s), each model over 3 seeds "
    "(paired by seed), not four pairs over one seed: the seeds cost 2 extra adversarial trainings per model (about "
    "+10% of the notebook's GPU work; with the 2 extra seeds of the 5 single-task baselines about +16%)"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""
FIGURE5_TRACKED = ("s", "d", "e", "k")
CITYSCAPES_NAMES = ("cityscapes19", "cityscapes7", "cityscapes2")
"""Prepared Cityscapes datasets (``data_scripts/prepare_cityscapes.py``), in order of preference: Algorithm 1 trains
on the first one prepared (:func:`algorithm1_source`), as the paper ran it on Cityscapes."""
CITYSCAPES_LETTERS = "sd"
SOURCES = ("taskonomy", "indoor scenes", *CITYSCAPES_NAMES)
"""The data notebook 01 can train on (:func:`scene_source`, :func:`algorithm1_source`)."""
MASKED_LETTERS = "dDn"
"""Tasks whose all-zero targets mark pixels without geometry on Taskonomy (masked in standardisation, loss, metric)."""
_DEPTH_SCALE = math.log(2.0**16)


def masked_letters(source: str) -> str:
    """The letters whose all-zero targets are missing values on ``source``: :data:`MASKED_LETTERS` on Taskonomy,
    depth on Cityscapes (invalid disparity), none on the scenes."""
    check_choice("source", source, SOURCES)
    if source == "taskonomy":
        return MASKED_LETTERS
    return "d" if source in CITYSCAPES_NAMES else ""


def check_letters(letters: str) -> list[str]:
    """The task names of a model written in letters (``"sdk"``); unknown or repeated letters raise."""
    unknown = [c for c in letters if c not in TASK_LETTERS]
    if unknown or not letters or len(set(letters)) != len(letters):
        raise ValueError(f"bad task letters {letters!r}; use distinct letters from {''.join(TASK_LETTERS)}")
    return [TASK_LETTERS[c] for c in letters]


def scene_tasks(source: str = "indoor scenes", classes: int | None = None) -> dict[str, Task]:
    """The eleven tasks keyed by letter, with the losses described in the module docstring: segmentation over
    ``classes`` classes (default: the indoor scenes' 11), plain L1 for every map, except ``masked_l1`` for
    :func:`masked_letters` of ``source``."""
    masked = masked_letters(source)
    tasks = {}
    for letter, name in TASK_LETTERS.items():
        if letter == "s":
            tasks[letter] = get_task(name, classes=classes or len(scene_classes("indoor")))
        elif letter in masked:
            tasks[letter] = get_task(name, loss="masked_l1")
        else:
            tasks[letter] = get_task(name, loss="l1")
    return tasks


def scale_targets(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rendered labels -> training targets keyed by letter (see the table in the module docstring)."""
    out: dict[str, np.ndarray] = {"s": arrays["segment_semantic"].astype(np.int64)}
    for letter, key in (("d", "depth_zbuffer"), ("D", "depth_euclidean")):
        out[letter] = (np.log1p(512.0 * arrays[key]) / _DEPTH_SCALE).astype(np.float32)
    for letter, key in (("e", "edge_texture"), ("k", "keypoints2d"), ("r", "reshading"), ("K", "keypoints3d"),
                        ("E", "edge_occlusion"), ("A", "rgb")):
        out[letter] = (2.0 * arrays[key] - 1.0).astype(np.float32)
    out["n"] = arrays["normal"].astype(np.float32)
    k = np.clip(arrays["principal_curvature"], 0.0, None)
    out["p"] = (2.0 * k / (1.0 + k) - 1.0).astype(np.float32)
    return out


def _masked_moments(value: torch.Tensor, dims: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (unbiased) standard deviation of ``value`` over its pixels that are not all-zero."""
    weight = (value != 0).any(1, keepdim=True).to(value.dtype).expand_as(value)
    count = weight.sum(dims, keepdim=True)
    mean = (value * weight).sum(dims, keepdim=True) / count.clamp_min(1.0)
    var = ((value - mean) ** 2 * weight).sum(dims, keepdim=True) / (count - 1).clamp_min(1.0)
    return mean, var.sqrt()


def _keep_invalid(standardised: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
    """``standardised`` with 0 wherever ``raw`` is all-zero over channels (a pixel without geometry)."""
    return torch.where((raw != 0).any(1, keepdim=True), standardised, torch.zeros_like(standardised))


def standardise(
    train: MultiTaskData, test: MultiTaskData, masked: str = ""
) -> tuple[MultiTaskData, MultiTaskData]:
    """Standardise every regression target per channel by the training split's mean and standard deviation
    (segmentation labels stay as they are); returns new train and test data with the statistics in ``meta``.

    Targets named in ``masked`` (e.g. :data:`MASKED_LETTERS`) read an all-zero pixel as missing: their statistics
    are taken over valid pixels only and missing pixels stay exactly 0, so ``masked_l1`` still skips them.
    """
    stats: dict[str, tuple[list[float], list[float]]] = {}
    new_train, new_test = dict(train.targets), dict(test.targets)
    for key, value in train.targets.items():
        if not value.is_floating_point():
            continue
        dims = [0, *range(2, value.dim())]
        if key in masked:
            mean, std = _masked_moments(value, dims)
            std = std.clamp_min(1e-6)
            new_train[key] = _keep_invalid((value - mean) / std, value)
            new_test[key] = _keep_invalid((test.targets[key] - mean) / std, test.targets[key])
        else:
            mean, std = value.mean(dims, keepdim=True), value.std(dims, keepdim=True).clamp_min(1e-6)
            new_train[key] = (value - mean) / std
            new_test[key] = (test.targets[key] - mean) / std
        stats[key] = (mean.flatten().tolist(), std.flatten().tolist())
    meta = {**train.meta, "standardised": stats}
    return MultiTaskData(train.inputs, new_train, meta), MultiTaskData(test.inputs, new_test, {**test.meta, **meta})


def scene_source() -> str:
    """Notebook 01's data: ``"taskonomy"`` when its prepared ``train`` and ``test`` splits (the two the converter
    writes) exist under the data root, else ``"indoor scenes"``."""
    return "taskonomy" if {"train", "test"} <= set(prepared_splits("taskonomy")) else "indoor scenes"


def algorithm1_source() -> str:
    """Algorithm 1's data: the first prepared Cityscapes of :data:`CITYSCAPES_NAMES` (its ``train`` and ``test``
    splits), as in the paper, else :func:`scene_source`."""
    return first_prepared(CITYSCAPES_NAMES, ("train", "test")) or scene_source()


def taskonomy_letters() -> str:
    """The letters of the tasks prepared in both Taskonomy splits, in :data:`TASK_LETTERS` order (A, the
    autoencoder, whenever the splits exist: its target is the input image)."""
    present = None
    for split in ("train", "test"):
        arrays, _ = load_split("taskonomy", split)
        present = set(arrays) if present is None else present & set(arrays)
    return "".join(letter for letter, name in TASK_LETTERS.items() if name in (present or ()))


def profile_letters(settings: RobustnessSettings) -> str:
    """Every task letter some model of the profile trains on, in :data:`TASK_LETTERS` order."""
    used = set(settings.table1_mains) | set(settings.table1_auxes) | set("".join(settings.figure5_models))
    used |= set("".join(settings.algorithm1_pairs))
    return "".join(letter for letter in TASK_LETTERS if letter in used)


def source_letters(source: str) -> str:
    """The task letters ``source`` has: every one on the scenes, the prepared ones on Taskonomy
    (:func:`taskonomy_letters`), segmentation and depth on Cityscapes."""
    check_choice("source", source, SOURCES)
    if source == "taskonomy":
        return taskonomy_letters()
    return CITYSCAPES_LETTERS if source in CITYSCAPES_NAMES else "".join(TASK_LETTERS)


def require_tasks(letters: str, source: str) -> None:
    """Stop, naming the missing tasks, unless ``source`` has every task of ``letters`` (:func:`source_letters`)."""
    missing = [TASK_LETTERS[c] for c in letters if c not in source_letters(source)]
    if missing:
        hint = ("prepare them with data_scripts/prepare_taskonomy.py, or move the prepared dataset away to use the "
                "procedural scenes" if source == "taskonomy" else "it has only " + ", ".join(
                    TASK_LETTERS[c] for c in source_letters(source)))
        raise ValueError(
            f"the prepared {source} under {data_root() / source} lacks task(s) {missing} that notebook 01 "
            f"trains on ({', '.join(TASK_LETTERS[c] for c in letters)}): {hint}"
        )


def scale_taskonomy(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Prepared Taskonomy arrays keyed by task name (``rgb`` as float in [0, 1]) -> training targets keyed by
    letter, for the tasks present: as :func:`scale_targets`, except curvature (2 x - 1 of the converter's [0, 1]);
    depth 0 (no geometry) stays 0 and segmentation keeps -1 (unlabelled, ignored)."""
    out: dict[str, np.ndarray] = {}
    for letter, name in TASK_LETTERS.items():
        if name not in arrays:
            continue
        value = arrays[name]
        if letter == "s":
            out[letter] = value.astype(np.int64)
        elif letter in "dD":
            out[letter] = (np.log1p(512.0 * value) / _DEPTH_SCALE).astype(np.float32)
        elif letter == "n":
            out[letter] = value.astype(np.float32)
        else:
            out[letter] = (2.0 * value - 1.0).astype(np.float32)
    return out


def taskonomy_data(size: int, n_train: int, n_test: int) -> tuple[MultiTaskData, MultiTaskData]:
    """The first ``n_train`` views of the prepared Taskonomy ``train`` split and the first ``n_test`` of its
    (building-disjoint) ``test`` split at ``size`` pixels, with every prepared task of the eleven keyed by letter:
    :func:`scale_taskonomy`, then :func:`standardise` masked for :data:`MASKED_LETTERS`. ``meta`` gives the
    ``source`` (views, buildings, converted folder) and ``segmentation_classes`` (from the manifest)."""
    names = [TASK_LETTERS[c] for c in taskonomy_letters() if c != "A"]
    splits, described, origin = [], [], "?"
    for split, limit in (("train", n_train), ("test", n_test)):
        loaded = load_prepared("taskonomy", split, names, size=size, limit=limit)
        arrays = {"rgb": loaded.inputs.numpy(), **{t: v.numpy() for t, v in loaded.targets.items()}}
        targets = {k: torch.from_numpy(v) for k, v in scale_taskonomy(arrays).items()}
        buildings = sorted({view.split("/")[0] for view in loaded.meta.get("views", [])[: len(loaded)]})
        where = f" from buildings {', '.join(buildings)}" if buildings else ""
        described.append(f"{len(loaded)} {split} views{where}")
        origin = loaded.meta.get("source", origin)
        classes = loaded.meta.get("tasks", {}).get("segment_semantic", {}).get(
            "num_classes", TASKONOMY_TASKS["segment_semantic"]["num_classes"])
        splits.append(MultiTaskData(loaded.inputs, targets, {"segmentation_classes": int(classes)}))
    source = f"prepared taskonomy (converted from {origin}): {'; '.join(described)}; {size}x{size} pixels"
    for data in splits:
        data.meta["source"] = source
    return standardise(splits[0], splits[1], masked=MASKED_LETTERS)


def cityscapes_data(name: str, size: int, n_train: int, n_test: int) -> tuple[MultiTaskData, MultiTaskData]:
    """The first ``n_train`` images of prepared Cityscapes ``name``'s ``train`` split and the first ``n_test`` of
    its ``test`` split at ``size`` × 2·``size`` pixels (the 1:2 aspect kept), targets ``s`` and ``d`` (disparity-derived
    inverse depth, 0 where invalid), :func:`standardise` masked for depth. ``meta`` gives the ``source`` and the
    ``segmentation_classes`` of the manifest."""
    splits, described = [], []
    for split, limit in (("train", n_train), ("test", n_test)):
        loaded = load_prepared(name, split, ["segment_semantic", "depth_zbuffer"], size=(size, 2 * size), limit=limit)
        classes = loaded.meta["tasks"]["segment_semantic"]["num_classes"]
        described.append(f"{len(loaded)} {split} images")
        splits.append(MultiTaskData(loaded.inputs, {"s": loaded.targets["segment_semantic"],
                                                    "d": loaded.targets["depth_zbuffer"]},
                                    {"segmentation_classes": int(classes)}))
    source = f"prepared {name} (converted from {loaded.meta.get('source', '?')}): {'; '.join(described)}; {size}x{2 * size} pixels"
    for data in splits:
        data.meta["source"] = source
    return standardise(splits[0], splits[1], masked=masked_letters(name))


@lru_cache(maxsize=4)
def scene_data(
    size: int, n_train: int, n_test: int, seed: int, source: str, device: str = "cpu"
) -> tuple[MultiTaskData, MultiTaskData]:
    """Notebook 01's train and test splits from ``source`` (:func:`scene_source`), targets keyed by letter and
    loaded once per process: :func:`taskonomy_data` for ``"taskonomy"`` and :func:`cityscapes_data` for a prepared
    Cityscapes (``seed`` unused); for ``"indoor scenes"``
    all eleven targets rendered with ``seed`` (rays cast on ``device``), :func:`scale_targets`, then
    :func:`standardise`, the test scenes other scenes (render indices n_train..), as the paper's test rooms are
    unseen ones. ``meta["source"]`` describes the data, ``meta["segmentation_classes"]`` is s's class count.
    """
    check_choice("source", source, SOURCES)
    if source == "taskonomy":
        return taskonomy_data(size, n_train, n_test)
    if source in CITYSCAPES_NAMES:
        return cityscapes_data(source, size, n_train, n_test)
    arrays = render(n_train + n_test, size=size, family="indoor", seed=seed, device=device)
    targets = scale_targets(arrays)
    data = MultiTaskData(torch.from_numpy(arrays["rgb"]), {k: torch.from_numpy(v) for k, v in targets.items()},
                         {"source": f"scenes.render(indoor, size={size}, seed={seed})",
                          "segmentation_classes": len(scene_classes("indoor"))})
    return standardise(data.subset(slice(0, n_train)), data.subset(slice(n_train, n_train + n_test)))


@dataclass(frozen=True)
class RobustnessSettings:
    """Sizes of notebook 01 per profile (see :meth:`for_profile`)."""

    size: int
    n_train: int
    n_test: int
    encoder: str
    width: float
    decoder_width: int
    epochs: int
    lr_decay_epoch: int
    batch_size: int
    lr: float
    pgd_steps: int
    train_pgd_steps: int
    table1_mains: str
    table1_auxes: str
    figure5_models: tuple[str, ...]
    algorithm1_pairs: tuple[str, ...]
    theory_samples: int
    theory_dim: int
    lambdas: tuple[float, ...] = (0.1, 0.01)
    algorithm1_lambda: float = 0.01
    eps: float = 4 / 255
    step_size: float = 1 / 255
    render_seed: int = 0
    theory_correlations: tuple[float, ...] = (0.0, 0.1, 0.3, 0.6)
    theory_max_tasks: int = 11
    seeds: int = 1
    """Seeds of the models of a decisive comparison between trained models (:func:`paper_mtl.profiles.decisive_seeds`):
    the single-task baselines of Table 1 and every model of Algorithm 1; the other models train one seed."""

    @classmethod
    def for_profile(cls, profile: str) -> RobustnessSettings:
        """smoke: seconds on a CPU; quick: ~5 min on 2 CPU cores; paper: one H100/H200, cut as :data:`PAPER_CUTS`."""
        return replace(cls._sizes(profile), seeds=decisive_seeds(profile))

    @classmethod
    def _sizes(cls, profile: str) -> RobustnessSettings:
        return by_profile(
            profile,
            smoke=cls(size=16, n_train=32, n_test=16, encoder="small", width=0.5, decoder_width=8, epochs=1,
                      lr_decay_epoch=1, batch_size=16, lr=2e-3, pgd_steps=2, train_pgd_steps=1, table1_mains="sd",
                      table1_auxes="ek",
                      figure5_models=("s", "sd", "sde", "d", "e"), algorithm1_pairs=("sd",),
                      theory_samples=200, theory_dim=64),
            quick=cls(size=32, n_train=256, n_test=96, encoder="small", width=1.0, decoder_width=8, epochs=8,
                      lr_decay_epoch=6, batch_size=16, lr=3e-3, pgd_steps=4, train_pgd_steps=2, table1_mains="sdek",
                      table1_auxes="nrK", figure5_models=FIGURE5_MODELS, algorithm1_pairs=("sd", "ds"),
                      theory_samples=2000, theory_dim=64),
            paper=cls(size=64, n_train=1024, n_test=256, encoder="resnet18", width=0.5, decoder_width=32, epochs=3,
                      lr_decay_epoch=2, batch_size=64, lr=1e-3, pgd_steps=20, train_pgd_steps=5,
                      table1_mains=PAPER_TABLE1_MAINS,
                      table1_auxes="".join(PAPER_NAMES), figure5_models=FIGURE5_MODELS,
                      algorithm1_pairs=("sd", "ds"), theory_samples=5000,
                      theory_dim=512),
        )

    def table1_pairs(self) -> list[tuple[str, str]]:
        """(main, aux) letter pairs of the Table 1 analogue: every main with every other auxiliary."""
        return [(m, a) for m in self.table1_mains for a in self.table1_auxes if a != m]


# ----------------------------------------------------------------------------------------------------------
# Theory (Theorem 1, Corollary 1.1)
# ----------------------------------------------------------------------------------------------------------


def theory_curves(settings: RobustnessSettings, seed: int = 0) -> pd.DataFrame:
    """Theorem 1's factor against its Monte-Carlo estimate for M = 1..11 tasks and equicorrelated gradients.

    Columns: ``rho`` (correlation of the task gradients; 0 is Corollary 1.1), ``M``, ``closed_form``,
    ``mc_rms``/``mc_rms_se`` and ``mc_mean_norm``/``mc_mean_norm_se`` (see
    :func:`paper_mtl.theory.monte_carlo_vulnerability`), ``inverse_sqrt_m`` and ``z`` = (mc_rms - closed)/se.
    """
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for rho in settings.theory_correlations:
        for m in range(1, settings.theory_max_tasks + 1):
            cov = equicorrelated(m, rho)
            gradients = sample_task_gradients(cov, settings.theory_dim, settings.theory_samples, generator)
            est = monte_carlo_vulnerability(gradients)
            closed = vulnerability_factor(cov)
            rows.append({
                "rho": rho, "M": m, "closed_form": closed, "mc_rms": est.rms, "mc_rms_se": est.rms_se,
                "mc_mean_norm": est.mean_norm, "mc_mean_norm_se": est.mean_norm_se, "inverse_sqrt_m": 1 / math.sqrt(m),
                "z": (est.rms - closed) / est.rms_se if est.rms_se > 0 else 0.0,
            })
    return pd.DataFrame(rows)


THEOREM1_SENTENCE = (
    "If the selected output tasks are correlated with each other such that the covariance between the gradient of "
    "task i and task j is Cov(r_i, r_j), and the gradient for each task is i.i.d. with zero mean (because the model "
    "is converged), then adversarial vulnerability of the given model is proportional to "
    "sqrt(1 + 2/M Σ_{i=1..M} Σ_{j=1..i-1} Cov(r_i, r_j)/Cov(r_i, r_i)) / sqrt(M)"
)
THEOREM1_UNTESTABLE = (
    "the theorem derives the factor from its assumptions (i.i.d. zero-mean task gradients of one variance); sampling "
    "gradients that satisfy them (the Monte Carlo below) verifies the algebra, true by construction, and a trained "
    "network's task gradients neither satisfy the assumptions nor are scaled alike (the loss of each task has its own "
    "scale), so no measurement here could contradict the theorem. What it implies for trained networks, that the "
    "vulnerability tracks E‖∂x L_all‖ and falls as tasks are added, is tested in the Lemma 1 row"
)


def theory_claim(curves: pd.DataFrame, z_limit: float = 4.0) -> Claim:
    """Theorem 1 / Corollary 1.1: not testable here (:data:`THEOREM1_UNTESTABLE`); its Monte Carlo against the
    closed form is shown as sanity checks, one per correlation ρ: the estimate lies within ``z_limit`` standard
    errors of the closed form at every M."""
    checks = [
        Check.exact(f"ρ = {rho:g}: Monte Carlo within {z_limit:g} s.e. of the closed form, M = 1..{int(g.M.max())}",
                    float(g.z.abs().max()), z_limit, above=False, kind=SANITY,
                    detail=f"max |z| = {g.z.abs().max():.2f} < {z_limit:g}")
        for rho, g in curves.groupby("rho")
    ]
    independent = curves[(curves.rho == 0) & (curves.M == curves.M.max())].iloc[0]
    ours = (f"not testable here (see the reason); sanity: max |z| = {curves.z.abs().max():.2f} over {len(curves)} "
            f"(ρ, M) points, independent tasks at M = {int(independent.M)}: Monte Carlo {independent.mc_rms:.4f} ± "
            f"{independent.mc_rms_se:.4f} vs 1/√M = {independent.closed_form:.4f}")
    return Claim("Theorem 1 / Corollary 1.1: the vulnerability factor of M correlated tasks", THEOREM1_SENTENCE,
                 "closed form (no numbers); Corollary 1.1: 1/sqrt(M) for independent tasks", ours, checks,
                 reason=THEOREM1_UNTESTABLE)


# ----------------------------------------------------------------------------------------------------------
# One training run (cached by the sweep)
# ----------------------------------------------------------------------------------------------------------


def _config(
    settings: RobustnessSettings, letters: str, weights: dict[str, float], attacks: list[str], seed: int,
    device: torch.device, adversarial: list[list[str]] | None = None, source: str | None = None,
) -> dict[str, Any]:
    return {
        "data": {
            "size": settings.size, "n_train": settings.n_train, "n_test": settings.n_test, "seed": settings.render_seed,
            "source": source or scene_source(),
        },
        "model": {"encoder": settings.encoder, "width": settings.width, "decoder_width": settings.decoder_width},
        "train": {"epochs": settings.epochs, "batch_size": settings.batch_size, "lr": settings.lr,
                  "lr_decay_epoch": settings.lr_decay_epoch},
        "pgd": {"eps": settings.eps, "step_size": settings.step_size, "steps": settings.pgd_steps},
        "adversarial": (
            None if adversarial is None else {"combinations": adversarial, "steps": settings.train_pgd_steps}
        ),
        "tasks": letters, "weights": weights, "attacks": attacks, "seed": seed, "device": device.type,
    }


def train_and_measure(config: dict[str, Any]) -> dict[str, Any]:
    """Train one hard-sharing model on the tasks ``config["tasks"]`` (letters) and measure it.

    Returns, per attack in ``config["attacks"]`` (strings of letters), the :func:`robustness` table (tasks by
    letter) and ΔL of the joint loss; Lemma 1's E_x‖∂x L_all‖_1 over all the model's tasks; the training time.
    With ``config["adversarial"]`` the model is trained by Algorithm 1 with those task combinations.
    """
    device = resolve_device(config["device"])
    letters = config["tasks"]
    check_letters(letters)
    d = config["data"]
    require_tasks(letters, d["source"])
    train, test = scene_data(d["size"], d["n_train"], d["n_test"], d["seed"], d["source"], device.type)
    all_tasks = scene_tasks(d["source"], train.meta["segmentation_classes"])
    tasks = {c: all_tasks[c] for c in letters}
    train, test = train.select_tasks(list(letters)), test.select_tasks(list(letters))
    seed = config["seed"]
    torch.manual_seed(seed)
    m = config["model"]
    model = build_hard_sharing(tasks, m["encoder"], m["width"], decoder_width=m["decoder_width"])
    pgd_config = PGDConfig(eps=config["pgd"]["eps"], step_size=config["pgd"]["step_size"], steps=config["pgd"]["steps"])
    plan = None
    if config["adversarial"] is not None:
        adv = config["adversarial"]
        train_pgd = PGDConfig(eps=pgd_config.eps, step_size=pgd_config.step_size, steps=adv["steps"])
        combinations = [list(c) for c in adv["combinations"]]
        plan = MultiTaskAdversarialTraining(tasks, combinations, train_pgd, config["weights"], seed)
    t = config["train"]
    start = time.perf_counter()
    fit(model, tasks, train, strategy=WeightedSum(config["weights"]), epochs=t["epochs"], batch_size=t["batch_size"],
        optimizer="adam", lr=t["lr"], lr_milestones=[t["lr_decay_epoch"]], batch_plan=plan, seed=seed, device=device,
        progress=False)
    train_seconds = time.perf_counter() - start
    attacks = []
    for attack in config["attacks"]:
        r = robustness(model, tasks, test, list(attack), pgd_config, seed=seed, device=device)
        attacks.append({"attack": attack, "table": r.table, "delta_loss_all": r.delta_loss_all})
    grad_norm = input_gradient_norm(model, tasks, test, q=1, device=device)
    return {"attacks": attacks, "grad_norm": grad_norm, "train_seconds": train_seconds}


def _require_profile_tasks(settings: RobustnessSettings) -> None:
    """Before any training: stop unless the data have every task the profile trains (see :func:`require_tasks`)."""
    require_tasks(profile_letters(settings), scene_source())


def _sweep(configs: list[dict[str, Any]], progress: bool) -> list[dict[str, Any]]:
    return run_sweep(train_and_measure, configs, "01_robustness", progress=progress)


def _score(result: dict[str, Any], attack: str, task: str, column: str) -> float:
    for entry in result["attacks"]:
        if entry["attack"] == attack:
            table = entry["table"].set_index("task")
            return float(table.loc[task, column])
    raise ValueError(f"attack {attack!r} was not measured; measured: {[e['attack'] for e in result['attacks']]}")


def _single_task_config(
    settings: RobustnessSettings, letter: str, seed: int, device: torch.device, source: str | None = None
) -> dict[str, Any]:
    """The single-task model of ``letter``: shared by Table 1 (baseline), Figure 5 (first point of a chain) and
    Algorithm 1 (standard training) on the same data."""
    return _config(settings, letter, {letter: 1.0}, [letter], seed, device, source=source)


def _better(value: float, baseline: float, higher_is_better: bool) -> bool:
    return bool(value > baseline) if higher_is_better else bool(value < baseline)


# ----------------------------------------------------------------------------------------------------------
# Figure 5 analogue and Lemma 1
# ----------------------------------------------------------------------------------------------------------


def _figure5_config(settings: RobustnessSettings, letters: str, seed: int, device: torch.device) -> dict[str, Any]:
    if len(letters) == 1:
        return _single_task_config(settings, letters, seed, device)
    attacks = [c for c in letters if c in FIGURE5_TRACKED] + [letters]
    return _config(settings, letters, {c: 1.0 for c in letters}, attacks, seed, device)


def robustness_vs_tasks(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Main-paper Figure 5 analogue: each tracked task (s, d, e, k) in every model of ``settings.figure5_models``.

    Models have equal task weights. Columns: ``model`` (letters), ``n_tasks``, ``task`` (letter),
    ``higher_is_better``, ``clean``, ``single_attack`` (PGD on that task alone), ``multi_attack`` (PGD on the sum
    of all the model's task losses), and their ``delta_loss_single`` / ``delta_loss_multi`` (Definition 1).
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    models = list(settings.figure5_models)
    for letters in models:
        check_letters(letters)
    results = _sweep([_figure5_config(settings, m, seed, device) for m in models], progress)
    rows = []
    for letters, result in zip(models, results):
        for task in letters:
            if task not in FIGURE5_TRACKED:
                continue
            rows.append({
                "model": letters, "n_tasks": len(letters), "task": task,
                "higher_is_better": bool(_score(result, task, task, "higher_is_better")),
                "clean": _score(result, task, task, "clean_score"),
                "single_attack": _score(result, task, task, "attacked_score"),
                "multi_attack": _score(result, letters, task, "attacked_score"),
                "delta_loss_single": _score(result, task, task, "delta_loss"),
                "delta_loss_multi": _score(result, letters, task, "delta_loss"),
            })
    return pd.DataFrame(rows)


def lemma1_gradient_norms(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Lemma 1 in trained networks: E_x‖∂x L_all‖_1 and the multi-task attack's ΔL(L_all) for the models of the
    chain starting at ``s`` (s, sd, ..., up to six tasks), where L_all = 1/M Σ_c L_c over the model's M tasks.

    Columns: ``model``, ``M``, ``grad_norm``, ``delta_loss_all``, and both divided by their M = 1 value
    (``grad_norm_ratio``, ``delta_loss_ratio``) beside Corollary 1.1's ``inverse_sqrt_m``.
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    models = [m for m in settings.figure5_models if m.startswith("s")]
    results = _sweep([_figure5_config(settings, m, seed, device) for m in models], progress)
    rows = []
    for letters, result in zip(models, results):
        joint = next(e for e in result["attacks"] if e["attack"] == letters)
        rows.append({"model": letters, "M": len(letters), "grad_norm": result["grad_norm"],
                     "delta_loss_all": joint["delta_loss_all"]})
    df = pd.DataFrame(rows).sort_values("M").reset_index(drop=True)
    df["grad_norm_ratio"] = df.grad_norm / df.grad_norm.iloc[0]
    df["delta_loss_ratio"] = df.delta_loss_all / df.delta_loss_all.iloc[0]
    df["inverse_sqrt_m"] = 1 / np.sqrt(df.M)
    return df


LEMMA1_SENTENCE = (
    "For a given neural network F that predicts multiple tasks, the adversarial vulnerability is "
    "E_x[ΔL(x, y, r)] ≈ E_x[‖∂x L_all(x, ȳ)‖_q] · ‖δ‖_p ∝ E_x[‖∂x L_all(x, ȳ)‖_q]"
)


def lemma1_claim(lemma: pd.DataFrame) -> Claim:
    """Lemma 1 in trained networks. Decisive (what the lemma states): across the models, the measured vulnerability
    ΔL of the multi-task attack is proportional to E_x‖∂x L_all‖_1, i.e. correlates positively with it (Pearson's r,
    Fisher interval over the models). Supporting (Theorem 1's consequence, not the lemma's): the gradient norm falls
    as tasks are added (Spearman's ρ of M and the norm negative)."""
    checks = [
        Check.correlation("ΔL of L_all rises with E‖∂x L_all‖₁ across models", lemma.grad_norm, lemma.delta_loss_all,
                          sign=1, method="pearson"),
        Check.correlation("E‖∂x L_all‖₁ falls as tasks are added", lemma.M, lemma.grad_norm, sign=-1,
                          method="spearman", kind=SUPPORTING),
    ]
    last = lemma.iloc[-1]
    ours = (f"E‖∂x L_all‖₁ of {last.model} (M={last.M}) is {last.grad_norm_ratio:.2f}× the single-task model's "
            f"(1/√M = {last.inverse_sqrt_m:.2f}), its ΔL {last.delta_loss_ratio:.2f}×; one seed a model, "
            f"{len(lemma)} models")
    return Claim("Lemma 1 in trained networks: ΔL is proportional to E_x‖∂x L_all‖", LEMMA1_SENTENCE,
                 "theory (no measured numbers in the supplement)", ours, checks)


def figure5_comparison(fig5: pd.DataFrame) -> pd.DataFrame:
    """Per tracked task: is its largest model better than its single-task model, clean and under each attack?"""
    rows = []
    for task, group in fig5.groupby("task", sort=False):
        single = group[group.n_tasks == 1]
        if single.empty or group.n_tasks.max() == 1:
            continue
        s, big = single.iloc[0], group[group.n_tasks == group.n_tasks.max()].iloc[0]
        hib = bool(s.higher_is_better)
        rows.append({
            "task": task, "single_model": s.model, "largest_model": big.model,
            "clean_better": _better(big.clean, s.clean, hib),
            "single_attack_better": _better(big.single_attack, s.single_attack, hib),
            "multi_attack_better": _better(big.multi_attack, s.multi_attack, hib),
        })
    return pd.DataFrame(rows, columns=["task", "single_model", "largest_model", "clean_better", "single_attack_better",
                                       "multi_attack_better"])


FIGURE5_SENTENCE = (
    "We also train 'd,' 'e,' 'er,' 'k,' 'ks,' 'ksd' tasks, so that we can analysis the trend of 4 tasks' performance "
    "after multitask learning. [...] Results are shown in Figure 5 in the main paper."
)


def _trend_check(name: str, fig5_task: pd.DataFrame, column: str, kind: str, group: str) -> Check:
    """Spearman's ρ of the number of tasks and the tracked task's ``column`` (oriented: positive = better with more
    tasks) over the models; fewer than 3 models, or a constant score, give no interval (within noise)."""
    hib = bool(fig5_task.higher_is_better.iloc[0])
    score = fig5_task[column] if hib else -fig5_task[column]
    if len(fig5_task) >= 3 and np.ptp(score) > 0 and np.ptp(fig5_task.n_tasks) > 0:
        return Check.correlation(name, fig5_task.n_tasks, score, sign=1, method="spearman", kind=kind, group=group)
    return Check(name, 0.0, kind=kind, group=group, noisy=True, n=len(fig5_task),
                 detail=f"{len(fig5_task)} models: too few (or a constant score) for a trend")


def figure5_claim(fig5: pd.DataFrame) -> Claim:
    """Main-paper Figure 5: a fixed task's robust performance improves as tasks are added. Per tracked task (the
    group): decisive, its score under a PGD attack on itself rises with the number of the model's tasks (Spearman's
    ρ over every model that has the task, Fisher interval); supporting, the same under the multi-task attack on all
    of the model's tasks. One seed a model: the interval comes from the spread over models."""
    checks = []
    for task, group in fig5.groupby("task", sort=False):
        checks.append(_trend_check(f"{task}: robust score (PGD on {task}) improves with the number of tasks", group,
                                   "single_attack", "decisive", task))
        checks.append(_trend_check(f"{task}: robust score (multi-task PGD) improves with the number of tasks", group,
                                   "multi_attack", SUPPORTING, task))
    comparison = figure5_comparison(fig5)
    n = len(comparison)
    single, multi, clean = (int(comparison[c].sum()) for c in ("single_attack_better", "multi_attack_better",
                                                                 "clean_better"))
    ours = (f"{len(fig5.model.unique())} models, one seed each; largest model better than single-task under "
            f"single-task PGD for {single}/{n} tracked tasks, under multi-task PGD for {multi}/{n}, clean for {clean}/{n}")
    return Claim("Figure 5 (main paper): a fixed task's robustness improves as tasks are added", FIGURE5_SENTENCE,
                 "main-paper Figure 5 (not in the supplement we have): robust performance improves with more tasks",
                 ours, checks)


# ----------------------------------------------------------------------------------------------------------
# Table 1 and Table 2 analogues
# ----------------------------------------------------------------------------------------------------------


def pair_table(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Every (main, aux, λ_a) of the Table 1 analogue, and the single-task baselines, clean and under PGD.

    The attack is single-task (the main task's loss only), as in the paper's Table 1. Each baseline trains over
    ``settings.seeds`` seeds (``seed``, ``seed + 1``, ...; one row each), every two-task model over ``seed`` only:
    every pair of a main task is compared with the same baseline, so one unlucky baseline seed would move all of them
    together. Columns: ``main``, ``aux`` (``"Baseline"`` for the single-task model), ``lambda_a``, ``seed``,
    ``higher_is_better``, ``clean``, ``pgd``.
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    pairs = settings.table1_pairs()
    configs, keys = [], []
    for main in settings.table1_mains:
        for s in seed_list(seed, settings.seeds):
            configs.append(_single_task_config(settings, main, s, device))
            keys.append((main, "Baseline", 0.0, s))
    for main, aux in pairs:
        for lam in settings.lambdas:
            configs.append(_config(settings, main + aux, {main: 1.0, aux: lam}, [main], seed, device))
            keys.append((main, aux, lam, seed))
    results = _sweep(configs, progress)
    rows = []
    for (main, aux, lam, s), result in zip(keys, results):
        rows.append({
            "main": main, "aux": aux, "lambda_a": lam, "seed": s,
            "higher_is_better": bool(_score(result, main, main, "higher_is_better")),
            "clean": _score(result, main, main, "clean_score"), "pgd": _score(result, main, main, "attacked_score"),
        })
    return pd.DataFrame(rows)


def choose_lambda(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 2 analogue: per (main, aux) the λ_a with the better robust (PGD) score; the Table 1 row uses it."""
    chosen = []
    for (main, aux), group in pairs[pairs.aux != "Baseline"].groupby(["main", "aux"], sort=False):
        hib = bool(group.higher_is_better.iloc[0])
        best = group.loc[group.pgd.idxmax() if hib else group.pgd.idxmin()]
        chosen.append(best)
    return pd.DataFrame(chosen).reset_index(drop=True)


def _baselines(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per main task: the baseline's mean clean and PGD score over its seeds, and the seeds' values (tuples)."""
    base = pairs[pairs.aux == "Baseline"]
    return base.groupby("main", sort=False).agg(
        clean=("clean", "mean"), pgd=("pgd", "mean"), clean_seeds=("clean", tuple), pgd_seeds=("pgd", tuple))


def _against_baseline(pairs: pd.DataFrame) -> pd.DataFrame:
    """Every two-task model (each λ_a) beside its baseline's seed mean: ``clean_better``, ``pgd_better``."""
    base = _baselines(pairs)
    models = pairs[pairs.aux != "Baseline"].reset_index(drop=True)
    hib = models.higher_is_better.astype(bool)
    out = models.assign(baseline_clean=models.main.map(base.clean), baseline_pgd=models.main.map(base.pgd))
    for setting in ("clean", "pgd"):
        out[f"{setting}_better"] = [_better(v, b, h) for v, b, h in zip(out[setting], out[f"baseline_{setting}"], hib)]
    return out


def table1(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 analogue in long form: one row per (main, aux) at the chosen λ_a, beside its baseline (the mean over
    the baseline's seeds; ``baseline_*_seeds`` hold the seeds' values).

    Columns: ``main``, ``aux``, ``lambda_a``, ``clean``, ``pgd``, ``baseline_clean``, ``baseline_pgd``,
    ``clean_better``, ``pgd_better`` ("bold" in the paper: better than the single-task model), then the seeds.
    """
    base = _baselines(pairs)
    chosen = choose_lambda(pairs)
    rows = []
    for _, row in chosen.iterrows():
        b = base.loc[row.main]
        hib = bool(row.higher_is_better)
        rows.append({
            "main": row.main, "aux": row.aux, "lambda_a": row.lambda_a, "higher_is_better": hib,
            "clean": row.clean, "pgd": row.pgd, "baseline_clean": b.clean, "baseline_pgd": b.pgd,
            "clean_better": _better(row.clean, b.clean, hib), "pgd_better": _better(row.pgd, b.pgd, hib),
            "baseline_clean_seeds": b.clean_seeds, "baseline_pgd_seeds": b.pgd_seeds,
        })
    return pd.DataFrame(rows)


def table1_wide(long: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Table 1's layout: rows main task, columns ``Baseline`` (mean ± s.e. over its seeds) then each auxiliary task
    (paper names); ``setting`` is ``"clean"`` or ``"pgd"``. Cells better than the baseline's mean are bold
    (``**x**`` in Markdown), as the paper sets them; ``*`` is not used, since the paper's row labels use it."""
    if setting not in ("clean", "pgd"):
        raise ValueError(f"unknown setting {setting!r}; expected 'clean' or 'pgd'")
    rows = {}
    for main, group in long.groupby("main", sort=False):
        first = group.iloc[0]
        seeds = first.get(f"baseline_{setting}_seeds", first[f"baseline_{setting}"])
        row = {"Baseline": format_mean_se(seeds)}
        for _, r in group.iterrows():
            value = f"{r[setting]:.4g}"
            row[PAPER_NAMES[r.aux]] = f"**{value}**" if r[f"{setting}_better"] else value
        rows[PAPER_NAMES[main]] = row
    order = ["Baseline"] + [PAPER_NAMES[c] for c in PAPER_NAMES if any(PAPER_NAMES[c] in r for r in rows.values())]
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=order).fillna("—")


def table1_counts(long: pd.DataFrame) -> dict[str, float]:
    """Pairs that beat the single-task baseline under PGD and clean (the paper's text states its counts:
    :func:`stated_counts`)."""
    n = len(long)
    return {"pairs": n, "pgd_better": int(long.pgd_better.sum()), "clean_better": int(long.clean_better.sum()),
            "pgd_fraction": float(long.pgd_better.mean()) if n else float("nan"),
            "clean_fraction": float(long.clean_better.mean()) if n else float("nan")}


def stated_counts() -> dict[str, tuple[int, int]]:
    """The counts the supplement's text states for Table 1, ``{setting: (count, pairs)}`` for ``pgd`` and ``clean``."""
    t = published.load("01_table1_stated_counts")
    return {row.setting: (int(row.count), int(row.pairs)) for row in t.itertuples()}


def _discordant_check(name: str, pgd_better: pd.Series, clean_better: pd.Series, **kwargs: Any) -> Check:
    """More models beat the baseline under PGD than clean, by the exact McNemar test: of the models that beat it in
    one setting only, more than half do so under PGD. None discordant gives no interval (within noise)."""
    pgd_only = int((pgd_better & ~clean_better).sum())
    clean_only = int((clean_better & ~pgd_better).sum())
    if pgd_only + clean_only == 0:
        return Check(name, 0.0, noisy=True, detail="no model beats the baseline in one setting only", **kwargs)
    check = Check.proportion(name, pgd_only, pgd_only + clean_only, chance=0.5, **kwargs)
    return replace(check, detail=f"PGD only {pgd_only}, clean only {clean_only}: {check.detail}")


TABLE1_SENTENCE = (
    "Overall, training on two tasks can help the individual task's adversarial robustness on {pgd} cases, while "
    "surpassing the baseline's performance on the clean examples on {clean}."
)


def table1_claim(pairs: pd.DataFrame) -> Claim:
    """Table 1: two-task models beat the single-task baseline under PGD in most cases, and more often than clean.

    The paper picks each pair's λ_a by the robust score itself (Table 2), so at the chosen λ_a a useless auxiliary
    task would still beat the baseline under PGD in 1 - (1/2)^(number of λ_a) of the pairs (3 in 4), against 1 in 2
    clean: the chosen-λ counts cannot be scored against one half, nor PGD against clean. The decisive checks
    therefore count every trained two-task model (each λ_a), against its baseline's mean over seeds:

    - decisive: the share beating the baseline under PGD is above one half (exact binomial interval);
    - decisive: more beat it under PGD than clean (exact McNemar: of the models better in one setting only, more than
      half are better under PGD);
    - supporting: at the chosen λ_a (the paper's statistic), the share beating the baseline under PGD is above the
      selection's chance rate.
    """
    models = _against_baseline(pairs)
    long = table1(pairs)
    n_lambdas = max(int(models.groupby(["main", "aux"]).size().max()), 1) if len(models) else 1
    selection_chance = 1 - 0.5**n_lambdas
    n, n_pairs = len(models), len(long)
    k_pgd, k_clean = int(models.pgd_better.sum()), int(models.clean_better.sum())
    checks = [
        Check.proportion("two-task models beat the baseline under PGD (every λ_a; chance 1/2)", k_pgd, n, chance=0.5),
        _discordant_check("more beat the baseline under PGD than clean (McNemar on every λ_a)", models.pgd_better,
                          models.clean_better),
        Check.proportion(f"at the chosen λ_a, pairs beat the baseline under PGD (chance of picking the better of "
                         f"{n_lambdas} λ_a: {selection_chance:g})", int(long.pgd_better.sum()), n_pairs,
                         chance=selection_chance, kind=SUPPORTING),
    ]
    stated = stated_counts()
    total = stated["pgd"][1]
    seeds = int(pairs[pairs.aux == "Baseline"].groupby("main").size().min())
    ours = (f"{n_pairs} of the paper's {total} pairs ({n_pairs / total:.0%}), {n} two-task models (one seed each, "
            f"every λ_a) against baselines of {seeds} seed(s): {k_pgd}/{n} beat the baseline under PGD, {k_clean}/{n} "
            f"clean; at the chosen λ_a {int(long.pgd_better.sum())}/{n_pairs} under PGD, "
            f"{int(long.clean_better.sum())}/{n_pairs} clean")
    pub = published_table1()
    by_setting = {s: pub[pub.setting == s].set_index(["main", "aux"]).better for s in ("pgd", "clean")}
    both = pd.concat(by_setting, axis=1).dropna().astype(bool)
    published_text = (
        f"text: {stated['pgd'][0]}/{total} under PGD, {stated['clean'][0]}/{stated['clean'][1]} clean; the table's "
        f"values: {int(both.pgd.sum())}/{len(both)} under PGD, {int(both.clean.sum())}/{len(both)} clean, PGD only "
        f"{int((both.pgd & ~both.clean).sum())} vs clean only {int((both.clean & ~both.pgd).sum())} (at the chosen λ_a)"
    )
    sentence = TABLE1_SENTENCE.format(pgd=f"{stated['pgd'][0]}/{total}",
                                      clean=f"{stated['clean'][0]}/{stated['clean'][1]}")
    return Claim("Table 1: two-task models beat the single-task baseline under PGD in most pairs, more often than clean",
                 sentence, published_text, ours, checks)


def published_table2() -> pd.DataFrame:
    """Supplement Table 2 (λ_a per pair) by letters, with the SemSeg/Edge2D typo 9.01 read as the code's 0.01."""
    t = published.load("01_table2_lambda")
    t = t.assign(main=t["main"].map(LETTERS_BY_NAME), aux=t["aux"].map(LETTERS_BY_NAME))
    t["lambda_a"] = t.lambda_a.where(t.lambda_a != 9.01, 0.01)
    return t


def table2_comparison(pairs: pd.DataFrame) -> pd.DataFrame:
    """Our chosen λ_a beside the published one, per (main, aux) we trained; ``agree`` where they match."""
    ours = choose_lambda(pairs)[["main", "aux", "lambda_a"]]
    theirs = published_table2().rename(columns={"lambda_a": "published_lambda_a"})
    merged = ours.merge(theirs, on=["main", "aux"], how="left")
    merged["agree"] = np.isclose(merged.lambda_a, merged.published_lambda_a)
    return merged


TABLE2_SENTENCE = (
    "For each task we considered, we try weights of {lambdas} for the auxiliary task, and choose the weight that "
    "produces higher robust accuracy."
)


def table2_claim(comparison: pd.DataFrame, lambdas: tuple[float, ...] = RobustnessSettings.lambdas) -> Claim:
    """Table 2 is a selection: the robustly better of the candidate ``lambdas``. Decisive: our selection agrees with
    the published one more often than picking at random would (chance 1/len(lambdas); exact binomial)."""
    n_lambdas = len(lambdas)
    agree, n = int(comparison.agree.sum()), len(comparison)
    checks = [Check.proportion(f"same λ_a as published (random picking: 1/{n_lambdas})", agree, n,
                               chance=1 / n_lambdas)]
    share = comparison.lambda_a.value_counts().to_dict()
    ours = (f"same λ_a as published for {agree}/{n} pairs; we chose "
            + ", ".join(f"{lam:g} for {k}" for lam, k in sorted(share.items(), reverse=True)))
    theirs = published_table2().lambda_a.value_counts().to_dict()
    published_text = ("λ_a per pair (Table 2; SemSeg/Edge2D 9.01 read as 0.01): "
                      + ", ".join(f"{lam:g} for {k}" for lam, k in sorted(theirs.items(), reverse=True))
                      + f" of {sum(theirs.values())} pairs")
    return Claim("Table 2: λ_a chosen per pair by robust performance agrees with the published choice",
                 TABLE2_SENTENCE.format(lambdas=" and ".join(f"{lam:g}" for lam in lambdas)), published_text, ours,
                 checks)


# ----------------------------------------------------------------------------------------------------------
# Audit of the published Table 1
# ----------------------------------------------------------------------------------------------------------


def published_table1() -> pd.DataFrame:
    """Supplement Table 1 in long form by letters, with ``better`` recomputed from the printed values."""
    t = published.load("01_table1_pairs")
    base = t[t.aux == "Baseline"].set_index(["setting", "main"]).value
    pairs = t[t.aux != "Baseline"].copy()
    pairs["baseline"] = [base[(s, m)] for s, m in zip(pairs.setting, pairs.main)]
    pairs["higher_is_better"] = pairs.main == "SemSeg"
    pairs["better"] = [_better(v, b, h) for v, b, h in zip(pairs.value, pairs.baseline, pairs.higher_is_better)]
    pairs["main"] = pairs.main.map(LETTERS_BY_NAME)
    pairs["aux"] = pairs.aux.map(LETTERS_BY_NAME)
    return pairs.reset_index(drop=True)


def audit_table1() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two counts of supplement Table 1 recomputed from its values and from its bold marks.

    Returns (counts, disagreements): ``counts`` has one row per setting (``pgd``, ``clean``) with the pairs, the
    count the text states (:func:`stated_counts`), the count of bold cells and the count of cells whose printed
    value beats the printed baseline; ``disagreements`` lists the cells where bold and value disagree.
    """
    t = published_table1()
    stated = stated_counts()
    rows = []
    for setting in ("pgd", "clean"):
        s = t[t.setting == setting]
        rows.append({"setting": setting, "pairs": len(s), "stated_in_text": stated[setting][0],
                     "bold_count": int(s.bold.sum()), "value_count": int(s.better.sum())})
    disagreements = t[t.bold != t.better][["setting", "main", "aux", "value", "baseline", "bold", "better"]]
    return pd.DataFrame(rows), disagreements.reset_index(drop=True)


def audit_claim(counts: pd.DataFrame, disagreements: pd.DataFrame) -> Claim:
    """The audit, on exact published numbers (no noise). Per setting (the group): decisive, the count of printed
    values that beat their printed baseline equals the count the text states; supporting, so does the count of bold
    cells (the table's own marks)."""
    checks, parts = [], []
    for r in counts.itertuples():
        checks.append(Check.truth(f"{r.setting}: values better than the baseline = stated count", r.value_count ==
                                  r.stated_in_text, group=r.setting,
                                  detail=f"{r.value_count} vs {r.stated_in_text} of {r.pairs}"))
        checks.append(Check.truth(f"{r.setting}: bold cells = stated count", r.bold_count == r.stated_in_text,
                                  kind=SUPPORTING, group=r.setting,
                                  detail=f"{r.bold_count} vs {r.stated_in_text} of {r.pairs}"))
        parts.append(
            f"{r.setting}: {r.bold_count} bold, {r.value_count} better by value (text {r.stated_in_text}/{r.pairs})"
        )
    cells = [f"{r.setting} {PAPER_NAMES[r.main]}/{PAPER_NAMES[r.aux]} {r.value:g} vs baseline {r.baseline:g} "
             f"({'bold' if r.bold else 'not bold'})" for r in disagreements.itertuples()]
    ours = "; ".join(parts) + ("; bold mark and value disagree at " + ", ".join(cells) if cells else "")
    stated = {r.setting: f"{r.stated_in_text}/{r.pairs}" for r in counts.itertuples()}
    sentence = TABLE1_SENTENCE.format(pgd=stated.get("pgd", "?"), clean=stated.get("clean", "?"))
    published_text = ", ".join(f"{setting}: {text}" for setting, text in stated.items()) + " (the text's counts)"
    return Claim("Audit: the published Table 1's values give the counts its text states", sentence, published_text,
                 ours, checks)


def published_subset(long: pd.DataFrame) -> pd.DataFrame:
    """The published Table 1 restricted to the (main, aux) pairs of ``long`` (ours), side by side with ours.

    ``published_*_better`` compares the printed values with the baseline's, as ours does, not the paper's bold
    marks (which disagree with the values in one PGD pair; see :func:`audit_table1`)."""
    pub = published_table1()
    wide = pub.pivot_table(index=["main", "aux"], columns="setting", values=["better"], aggfunc="first")
    wide.columns = [f"published_{setting}_better" for _, setting in wide.columns]
    merged = long.merge(wide.reset_index(), on=["main", "aux"], how="left")
    return merged[["main", "aux", "lambda_a", "clean_better", "published_clean_better", "pgd_better",
                   "published_pgd_better"]]


# ----------------------------------------------------------------------------------------------------------
# Algorithm 1
# ----------------------------------------------------------------------------------------------------------


def algorithm1_pairs(settings: RobustnessSettings, source: str) -> list[str]:
    """The profile's Algorithm 1 pairs (main, auxiliary letters) that ``source`` has both tasks of
    (:func:`source_letters`; on Cityscapes segmentation and depth only). Raises when none is left."""
    for pair in settings.algorithm1_pairs:
        check_letters(pair)
    available = set(source_letters(source))
    pairs = [p for p in settings.algorithm1_pairs if set(p) <= available]
    if not pairs:
        raise ValueError(f"none of the Algorithm 1 pairs {settings.algorithm1_pairs} is made of tasks {source} has")
    return pairs


def algorithm1_comparison(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Single-task (S = {{T_m}}, Madry et al.) against multi-task (S = {{T_m}, {T_m, T_a}}, λ = 0.01) adversarial
    training, with standard single-task training for reference; main task clean and under single-task PGD.

    Every model trains over ``settings.seeds`` seeds (``seed``, ``seed + 1``, ...), so that the comparisons are
    paired by seed. Columns: ``main``, ``aux``, ``training`` (``standard``, ``adversarial single-task``,
    ``adversarial multi-task``), ``seed``, ``higher_is_better``, ``clean``, ``pgd``. On a prepared Cityscapes
    (:func:`algorithm1_source`) only the profile's pairs of segmentation and depth are trained.
    """
    device = resolve_device(device)
    source = algorithm1_source()
    if source == scene_source():
        _require_profile_tasks(settings)
    pairs = algorithm1_pairs(settings, source)
    configs, keys = [], []
    for pair in pairs:
        main, aux = pair[0], pair[1]
        weights = {main: 1.0, aux: settings.algorithm1_lambda}
        for s in seed_list(seed, settings.seeds):
            configs.append(_single_task_config(settings, main, s, device, source))
            keys.append((main, aux, "standard", s))
            configs.append(_config(settings, main, {main: 1.0}, [main], s, device,
                                   adversarial=algorithm1_combinations(main), source=source))
            keys.append((main, aux, "adversarial single-task", s))
            configs.append(_config(settings, main + aux, weights, [main], s, device,
                                   adversarial=algorithm1_combinations(main, [aux]), source=source))
            keys.append((main, aux, "adversarial multi-task", s))
    results = _sweep(configs, progress)
    rows = []
    for (main, aux, training, s), result in zip(keys, results):
        rows.append({
            "main": main, "aux": aux, "training": training, "seed": s,
            "higher_is_better": bool(_score(result, main, main, "higher_is_better")),
            "clean": _score(result, main, main, "clean_score"), "pgd": _score(result, main, main, "attacked_score"),
        })
    return pd.DataFrame(rows)


def algorithm1_table(alg1: pd.DataFrame) -> pd.DataFrame:
    """Algorithm 1's scores as the notebook shows them: per (main, aux, training), clean and PGD as mean ± s.e. over
    the seeds (:func:`paper_mtl.claims.format_mean_se`)."""
    rows = []
    for (main, aux, training), group in alg1.groupby(["main", "aux", "training"], sort=False):
        rows.append({"main": main, "aux": aux, "training": training, "seeds": len(group),
                     "higher_is_better": bool(group.higher_is_better.iloc[0]),
                     "clean": format_mean_se(group.clean), "pgd": format_mean_se(group.pgd)})
    return pd.DataFrame(rows)


ALGORITHM1_SENTENCE = (
    "For multi-task model, we set S = {{T_m}, {T_m, T_a}}, thus the generated adversarial images under multi-task are "
    "more diversified compared with single-task models. In addition, all the adversarial examples are trained on "
    "multi-task loss function, where the auxiliary task can introduce useful knowledge for learning the robust main "
    "task."
)
PREMISE_SENTENCE = (
    "For single task model, we choose S = {{T_m}}. The algorithm is the same as the adversarial training procedure "
    "of Madry et. al. [2]."
)


def _by_seed(group: pd.DataFrame, training: str, column: str) -> np.ndarray:
    return group[group.training == training].sort_values("seed")[column].to_numpy(dtype=float)


def algorithm1_claims(alg1: pd.DataFrame) -> tuple[Claim, Claim]:
    """Algorithm 1's two ledger rows, each decisive per pair (the group), under single-task PGD on the main task and
    paired by seed (:meth:`Check.paired`): the claim, multi-task adversarial training more robust than single-task
    adversarial training; its premise, single-task adversarial training more robust than standard training."""
    claim, premise, parts = [], [], []
    for (main, aux), group in alg1.groupby(["main", "aux"], sort=False):
        better = "higher" if bool(group.higher_is_better.iloc[0]) else "lower"
        standard, single, multi = (_by_seed(group, t, "pgd") for t in
                                   ("standard", "adversarial single-task", "adversarial multi-task"))
        name = f"{main}+{aux}"
        claim.append(Check.paired(f"{name}: multi-task adv. beats single-task adv. under PGD", multi, single,
                                  better=better, group=name))
        premise.append(Check.paired(f"{name}: single-task adv. beats standard training under PGD", single, standard,
                                    better=better, group=name))
        parts.append(f"{name} PGD ({better} is better; {len(single)} seeds): standard {format_mean_se(standard)}, "
                     f"single-task adv. {format_mean_se(single)}, multi-task adv. {format_mean_se(multi)}")
    ours = "; ".join(parts)
    return (
        Claim("Algorithm 1: multi-task adversarial training is more robust than single-task adversarial training",
              ALGORITHM1_SENTENCE,
              "main-paper Cityscapes results (not in the supplement we have): multi-task adversarial training more "
              "robust", ours, claim),
        Claim("Algorithm 1 (premise): single-task adversarial training is more robust than standard training",
              PREMISE_SENTENCE,
              "Madry et al.'s adversarial training, the baseline Algorithm 1 extends (no number in the supplement)",
              ours, premise),
    )


def settings_table(settings: RobustnessSettings) -> pd.DataFrame:
    """The profile's sizes as a two-column table for the notebook, after rows naming the data the experiments train
    on (``data``: :func:`scene_source`) and Algorithm 1's (:func:`algorithm1_source`)."""
    rows = [{"setting": "data", "value": scene_source()}, {"setting": "Algorithm 1 data", "value": algorithm1_source()}]
    return pd.DataFrame(rows + [{"setting": k, "value": str(v)} for k, v in asdict(settings).items()])
