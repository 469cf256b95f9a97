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
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from paper_mtl import published
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
from paper_mtl.profiles import PAPER_LEASE, by_profile, check_choice, resolve_device
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
    f"Table 1 with the main tasks {', '.join(PAPER_TABLE1_MAINS)} only (50 of the 110 pairs, each with both λ) and 4 "
    f"epochs (64 steps) a network, {PAPER_LEASE}: all 110 pairs for 8 epochs would take about 4.5 times "
    "the kernel launches"
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


@dataclass(frozen=True)
class Evidence:
    """Our evidence for a claim: a one-line summary of the numbers and the named boolean checks a verdict is
    computed from (:func:`paper_mtl.reporting.verdict`)."""

    ours: str
    checks: dict[str, bool]


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

    @classmethod
    def for_profile(cls, profile: str) -> RobustnessSettings:
        """smoke: seconds on a CPU; quick: ~5 min on 2 CPU cores; paper: one H100/H200, cut as :data:`PAPER_CUTS`."""
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
            paper=cls(size=64, n_train=1024, n_test=256, encoder="resnet18", width=0.5, decoder_width=32, epochs=4,
                      lr_decay_epoch=3, batch_size=64, lr=1e-3, pgd_steps=20, train_pgd_steps=5,
                      table1_mains=PAPER_TABLE1_MAINS,
                      table1_auxes="".join(PAPER_NAMES), figure5_models=FIGURE5_MODELS,
                      algorithm1_pairs=("sd", "ds", "es", "ks"), theory_samples=5000,
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


def theory_evidence(curves: pd.DataFrame, z_limit: float = 4.0) -> Evidence:
    """Theorem 1's checks: for every correlation ρ, the Monte-Carlo estimate lies within ``z_limit`` standard
    errors of the closed form at every M."""
    checks = {
        f"ρ = {rho:g}: |MC − closed form| < {z_limit:g} s.e. for M = 1..{int(g.M.max())}": bool(
            (g.z.abs() < z_limit).all()
        )
        for rho, g in curves.groupby("rho")
    }
    independent = curves[(curves.rho == 0) & (curves.M == curves.M.max())].iloc[0]
    ours = (f"max |z| = {curves.z.abs().max():.2f} over {len(curves)} (ρ, M) points; independent tasks at "
            f"M = {int(independent.M)}: Monte Carlo {independent.mc_rms:.4f} ± {independent.mc_rms_se:.4f} vs "
            f"1/√M = {independent.closed_form:.4f}")
    return Evidence(ours, checks)


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


def lemma1_evidence(lemma: pd.DataFrame) -> Evidence:
    """Lemma 1's computed checks: the gradient norm falls as tasks are added, and it ranks models as ΔL does."""
    rho_m = float(spearmanr(lemma.M, lemma.grad_norm).statistic) if len(lemma) > 2 else float("nan")
    rho_dl = float(spearmanr(lemma.grad_norm, lemma.delta_loss_all).statistic) if len(lemma) > 2 else float("nan")
    last = lemma.iloc[-1]
    ours = (f"E‖∂x L_all‖₁ of {last.model} (M={last.M}) is {last.grad_norm_ratio:.2f}× the single-task model's "
            f"(1/√M = {last.inverse_sqrt_m:.2f}); Spearman(M, norm) = {rho_m:.2f}; Spearman(norm, ΔL) = {rho_dl:.2f}")
    checks = {
        "grad norm of the largest model below the single-task one": bool(last.grad_norm < lemma.grad_norm.iloc[0]),
        "Spearman(M, grad norm) < 0": bool(rho_m < 0),
        "Spearman(grad norm, ΔL) > 0": bool(rho_dl > 0),
    }
    return Evidence(ours, checks)


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


def figure5_evidence(fig5: pd.DataFrame) -> Evidence:
    """Figure 5's checks: under each attack, each tracked task's largest model beats its single-task model."""
    comparison = figure5_comparison(fig5)
    checks = {}
    for _, row in comparison.iterrows():
        prefix = f"{row.task}: {row.largest_model} beats {row.single_model}"
        checks[f"{prefix} under single-task PGD"] = bool(row.single_attack_better)
        checks[f"{prefix} under multi-task PGD"] = bool(row.multi_attack_better)
    n = len(comparison)
    single, multi, clean = (int(comparison[c].sum()) for c in ("single_attack_better", "multi_attack_better", "clean_better"))
    ours = (f"largest model better than single-task under single-task PGD for {single}/{n} tracked tasks, "
            f"under multi-task PGD for {multi}/{n}, clean for {clean}/{n}")
    return Evidence(ours, checks)


# ----------------------------------------------------------------------------------------------------------
# Table 1 and Table 2 analogues
# ----------------------------------------------------------------------------------------------------------


def pair_table(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Every (main, aux, λ_a) of the Table 1 analogue, and the single-task baselines, clean and under PGD.

    The attack is single-task (the main task's loss only), as in the paper's Table 1. Columns: ``main``, ``aux``
    (``"Baseline"`` for the single-task model), ``lambda_a``, ``higher_is_better``, ``clean``, ``pgd``.
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    pairs = settings.table1_pairs()
    configs, keys = [], []
    for main in settings.table1_mains:
        configs.append(_single_task_config(settings, main, seed, device))
        keys.append((main, "Baseline", 0.0))
    for main, aux in pairs:
        for lam in settings.lambdas:
            configs.append(_config(settings, main + aux, {main: 1.0, aux: lam}, [main], seed, device))
            keys.append((main, aux, lam))
    results = _sweep(configs, progress)
    rows = []
    for (main, aux, lam), result in zip(keys, results):
        rows.append({
            "main": main, "aux": aux, "lambda_a": lam,
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


def table1(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 analogue in long form: one row per (main, aux) at the chosen λ_a, beside its baseline.

    Columns: ``main``, ``aux``, ``lambda_a``, ``clean``, ``pgd``, ``baseline_clean``, ``baseline_pgd``,
    ``clean_better``, ``pgd_better`` ("bold" in the paper: better than the single-task model).
    """
    base = pairs[pairs.aux == "Baseline"].set_index("main")
    chosen = choose_lambda(pairs)
    rows = []
    for _, row in chosen.iterrows():
        b = base.loc[row.main]
        hib = bool(row.higher_is_better)
        rows.append({
            "main": row.main, "aux": row.aux, "lambda_a": row.lambda_a, "higher_is_better": hib,
            "clean": row.clean, "pgd": row.pgd, "baseline_clean": b.clean, "baseline_pgd": b.pgd,
            "clean_better": _better(row.clean, b.clean, hib), "pgd_better": _better(row.pgd, b.pgd, hib),
        })
    return pd.DataFrame(rows)


def table1_wide(long: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Table 1's layout: rows main task, columns ``Baseline`` then each auxiliary task (paper names);
    ``setting`` is ``"clean"`` or ``"pgd"``. Cells better than the baseline are bold
    (``**x**`` in Markdown), as the paper sets them; ``*`` is not used, since the paper's row labels use it."""
    if setting not in ("clean", "pgd"):
        raise ValueError(f"unknown setting {setting!r}; expected 'clean' or 'pgd'")
    rows = {}
    for main, group in long.groupby("main", sort=False):
        row = {"Baseline": f"{group[f'baseline_{setting}'].iloc[0]:.4g}"}
        for _, r in group.iterrows():
            value = f"{r[setting]:.4g}"
            row[PAPER_NAMES[r.aux]] = f"**{value}**" if r[f"{setting}_better"] else value
        rows[PAPER_NAMES[main]] = row
    order = ["Baseline"] + [PAPER_NAMES[c] for c in PAPER_NAMES if any(PAPER_NAMES[c] in r for r in rows.values())]
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=order).fillna("—")


def table1_counts(long: pd.DataFrame) -> dict[str, float]:
    """Pairs that beat the single-task baseline under PGD and clean (the paper: 90/110 and 70/110)."""
    n = len(long)
    return {"pairs": n, "pgd_better": int(long.pgd_better.sum()), "clean_better": int(long.clean_better.sum()),
            "pgd_fraction": float(long.pgd_better.mean()) if n else float("nan"),
            "clean_fraction": float(long.clean_better.mean()) if n else float("nan")}


def stated_counts() -> dict[str, tuple[int, int]]:
    """The counts the supplement's text states for Table 1: {"pgd": (90, 110), "clean": (70, 110)}."""
    t = published.load("01_table1_stated_counts")
    return {row.setting: (int(row.count), int(row.pairs)) for row in t.itertuples()}


def table1_evidence(long: pd.DataFrame) -> Evidence:
    """Table 1's checks: most pairs beat the single-task baseline under PGD (the paper: 90/110), and more pairs
    do under PGD than on clean inputs (the paper: 90/110 against 70/110)."""
    counts = table1_counts(long)
    ours = (f"{counts['pgd_better']}/{counts['pairs']} pairs beat the baseline under PGD, "
            f"{counts['clean_better']}/{counts['pairs']} on clean inputs")
    checks = {
        "more than half of the pairs beat the baseline under PGD": counts["pgd_fraction"] > 0.5,
        "more pairs beat the baseline under PGD than clean": counts["pgd_fraction"] > counts["clean_fraction"],
    }
    return Evidence(ours, checks)


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


def table2_evidence(comparison: pd.DataFrame) -> Evidence:
    """Table 2's checks: per pair, our robustly best λ_a equals the published one."""
    checks = {f"{r.main}+{r.aux}: λ_a {r.lambda_a:g} (published {r.published_lambda_a:g})": bool(r.agree)
              for r in comparison.itertuples()}
    share = comparison.lambda_a.value_counts().to_dict()
    ours = (f"same λ_a as published for {int(comparison.agree.sum())}/{len(comparison)} pairs; we chose "
            + ", ".join(f"{lam:g} for {n}" for lam, n in sorted(share.items(), reverse=True)))
    return Evidence(ours, checks)


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


def audit_evidence(counts: pd.DataFrame, disagreements: pd.DataFrame) -> Evidence:
    """The audit's checks: the stated counts equal the counts of bold cells and of better values."""
    checks, parts = {}, []
    for r in counts.itertuples():
        checks[f"{r.setting}: bold cells = stated {r.stated_in_text}/{r.pairs}"] = r.bold_count == r.stated_in_text
        checks[f"{r.setting}: better values = stated {r.stated_in_text}/{r.pairs}"] = r.value_count == r.stated_in_text
        parts.append(
            f"{r.setting}: {r.bold_count} bold, {r.value_count} better by value (text {r.stated_in_text}/{r.pairs})"
        )
    cells = [f"{r.setting} {PAPER_NAMES[r.main]}/{PAPER_NAMES[r.aux]} {r.value:g} vs baseline {r.baseline:g} "
             f"({'bold' if r.bold else 'not bold'})" for r in disagreements.itertuples()]
    ours = "; ".join(parts) + ("; bold mark and value disagree at " + ", ".join(cells) if cells else "")
    return Evidence(ours, checks)


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

    Columns: ``main``, ``aux``, ``training`` (``standard``, ``adversarial single-task``, ``adversarial
    multi-task``), ``higher_is_better``, ``clean``, ``pgd``. On a prepared Cityscapes (:func:`algorithm1_source`)
    only the profile's pairs of segmentation and depth are trained.
    """
    device = resolve_device(device)
    source = algorithm1_source()
    if source == scene_source():
        _require_profile_tasks(settings)
    pairs = algorithm1_pairs(settings, source)
    configs, keys = [], []
    for pair in pairs:
        main, aux = pair[0], pair[1]
        configs.append(_single_task_config(settings, main, seed, device, source))
        keys.append((main, aux, "standard"))
        configs.append(_config(settings, main, {main: 1.0}, [main], seed, device,
                               adversarial=algorithm1_combinations(main), source=source))
        keys.append((main, aux, "adversarial single-task"))
        weights = {main: 1.0, aux: settings.algorithm1_lambda}
        configs.append(_config(settings, main + aux, weights, [main], seed, device,
                               adversarial=algorithm1_combinations(main, [aux]), source=source))
        keys.append((main, aux, "adversarial multi-task"))
    results = _sweep(configs, progress)
    rows = []
    for (main, aux, training), result in zip(keys, results):
        rows.append({
            "main": main, "aux": aux, "training": training,
            "higher_is_better": bool(_score(result, main, main, "higher_is_better")),
            "clean": _score(result, main, main, "clean_score"), "pgd": _score(result, main, main, "attacked_score"),
        })
    return pd.DataFrame(rows)


def algorithm1_evidence(alg1: pd.DataFrame) -> tuple[Evidence, Evidence]:
    """Per pair, under PGD: (the claim) multi-task adversarial training more robust than single-task adversarial
    training; (a check of the attack used in training, its own ledger row) single-task adversarial training more
    robust than standard training. Both carry the same numbers."""
    claim, sanity, parts = {}, {}, []
    for (main, aux), group in alg1.groupby(["main", "aux"], sort=False):
        g = group.set_index("training")
        hib = bool(g.higher_is_better.iloc[0])
        multi, single, standard = (
            float(g.loc[k, "pgd"]) for k in ("adversarial multi-task", "adversarial single-task", "standard")
        )
        claim[f"{main}+{aux}: multi-task adv. beats single-task adv. under PGD"] = _better(multi, single, hib)
        sanity[f"{main}: single-task adv. beats standard training under PGD"] = _better(single, standard, hib)
        parts.append(
            f"{main}+{aux} PGD: standard {standard:.4g}, single-task adv. {single:.4g}, multi-task adv. {multi:.4g}"
        )
    return Evidence("; ".join(parts), claim), Evidence("; ".join(parts), sanity)


def settings_table(settings: RobustnessSettings) -> pd.DataFrame:
    """The profile's sizes as a two-column table for the notebook, after rows naming the data the experiments train
    on (``data``: :func:`scene_source`) and Algorithm 1's (:func:`algorithm1_source`)."""
    rows = [{"setting": "data", "value": scene_source()}, {"setting": "Algorithm 1 data", "value": algorithm1_source()}]
    return pd.DataFrame(rows + [{"setting": k, "value": str(v)} for k, v in asdict(settings).items()])
