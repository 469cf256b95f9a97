"""Experiments of notebook 04: Maninis, Radosavovic & Kokkinos, "Attentive single-tasking of multiple tasks".

Every table row of the paper is one configuration of :func:`~paper_mtl.models.task_conditioned.build_single_tasking`
(a *variant*: which SE modules / adapters are per task, whether the adversarial discriminator trains with it),
trained on procedural scenes that stand in for the paper's datasets, or on the real dataset where it has been
prepared (see below):

========== ======== ================================================ =========================================
dataset    family   tasks (table columns)                            stands in for
========== ======== ================================================ =========================================
``pascal`` indoor   edge, seg (11 classes), parts (8), norm, sal     PASCAL-Context with distilled normals/sal
``nyud``   indoor   edge, seg (11 classes), norm, depth (metres)     NYUD-v2
``fsv``    street   seg (3 classes), albedo, depth (disparity 1/z)   FSV (Free Supervision from Video games)
========== ======== ================================================ =========================================

Prepared datasets (:data:`PREPARED`, :func:`data_source`). When ``data_scripts/prepare_pascal.py`` has written
``pascal_mt`` (splits train/val), the PASCAL tables train on it: edge = ``edge_texture`` (thinned label-map
boundaries, max-pooled to the image size so the one-pixel edges survive the downsampling), seg = the 21 VOC classes,
parts = the human parts (``num_human_parts`` + 1 classes; images without a part pixel at our size are ignored),
norm = the distilled normals (zero = invalid, masked), sal = the thresholded distilled saliency; a ``pascal_mt``
prepared without one of these tasks (``--tasks``) is an error. When ``data_scripts/prepare_nyuv2.py`` has written
one of :data:`~paper_mtl.data.converters.nyuv2.PREPARED_NAMES` (the first found with train and test splits),
the NYUD tables train on its train split and validate on its test split: seg = its classes (as many as its manifest
says: 40 or 13 with a class map, 894 raw ids without), norm = its normals, depth = z-depth in metres (0 = invalid,
masked). NYUv2 has no edge annotation in either layout, so the NYUD edge column is computed from the segmentation
like the PASCAL converter's edges (:func:`~paper_mtl.data.converters.pascal.label_edges`: thinned boundaries of the
label map, unlabelled pixels counting as one more label): semantic boundaries, not the instance boundaries of the
paper's NYUD edges. Images are resized to the profile's square size (NYUv2's 4:3 frames are squeezed), and the
splits are cut to the profile's sizes (NYUv2 has 795 train and 654 test images). FSV has no converter: its tables
always use the street scenes. The data source enters every training configuration (``data``), so the sweep cache
never mixes results of procedural and real data, and it is ``meta["source"]`` of the loaded splits.

Losses and weights follow Appendix D: edges class-balanced binary cross-entropy (positives 0.95, negatives 0.05)
x50, segmentation cross-entropy x1, parts cross-entropy x2 (images without any object part are ignored, like
PASCAL images without people), normals L1 on unit vectors x10, saliency class-balanced BCE x5, depth L1 plus L1
of its Sobel gradients x1 (the loss of Eigen & Fergus), albedo L1 x10. Training, from scratch: SGD with momentum
0.9 and weight decay 1e-4, one forward pass and one optimiser step per task per mini-batch
(:class:`SingleTaskSteps`) with the shared layers' learning rate divided by T, the learning rate divided by 10 at
75% of training (the paper's poly schedule is not in the shared loop), Eq. 5 with w_d = 0.1 for adversarial rows
(the discriminator at the task layers' learning rate). Metrics: edges an ODS F-measure with a one-pixel tolerance
(:class:`EdgeF`), mIoU over the dataset (background included), mean angular error of normals, saliency max
F-measure (beta^2 = 0.3), depth RMSE per image then averaged, albedo mean absolute error. Δm is
:func:`paper_mtl.metrics.delta_m` (Eq. 4 printed as a drop: positive = worse than single-tasking) against the
single-task networks with the same backbone and decoder.

Functions return DataFrames and numbers; figures are drawn by :mod:`paper_mtl.plots.single_tasking`. Training
runs go through :func:`paper_mtl.sweep.run_sweep` (one cache for all tables, so a row shared by several tables
trains once).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from torch import Tensor
from torchvision.ops import SqueezeExcitation

from paper_mtl import published
from paper_mtl.complexity import complexity
from paper_mtl.data.converters.nyuv2 import PREPARED_NAMES as NYUV2_NAMES
from paper_mtl.data.converters.pascal import label_edges
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import part_classes, render
from paper_mtl.data.store import load_split
from paper_mtl.metrics import Metric, PerImageRMSE, delta_m
from paper_mtl.models.se_resnet import BACKBONES, TaskSwitch
from paper_mtl.models.task_conditioned import MOBILENET, TaskConditionedNet, build_single_tasking
from paper_mtl.claims import format_mean_se, seed_list
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, decisive_seeds, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task, get_task, loss_map, register
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting.base import Strategy, WeightedSum
from paper_mtl.weighting.discriminator import AdversarialGradients, SingleTaskSteps

# ----------------------------------------------------------------------------------------------------------
# Tasks of Appendix D
# ----------------------------------------------------------------------------------------------------------


class EdgeF(Metric):
    """Optimal-dataset-scale F-measure of binary edges with a localisation tolerance (the BSDS "odsF").

    At each of ``thresholds`` probabilities, a predicted edge pixel is a true positive when a ground-truth edge
    lies within ``tolerance`` pixels (Chebyshev distance), and a ground-truth edge pixel is recalled when a
    predicted edge lies within ``tolerance``; precision and recall are pooled over the dataset and the best F
    over thresholds is returned. The BSDS benchmark additionally thins the predictions and matches pixels one to
    one within maxDist (0.0075 of the image diagonal for PASCAL, 0.011 for NYUD, i.e. below one pixel at our
    image sizes); ours uses neither, so it is more lenient to thick edges.
    """

    name = "odsf"
    higher_is_better = True

    def __init__(self, tolerance: int = 1, thresholds: int = 99) -> None:
        if tolerance < 0 or thresholds < 1:
            raise ValueError(f"tolerance must be >= 0 and thresholds >= 1, got {tolerance}, {thresholds}")
        self.tolerance = tolerance
        self.thresholds = torch.linspace(0, 1, thresholds + 2)[1:-1]
        self.hits_precision = torch.zeros(thresholds, dtype=torch.float64)
        self.predicted = torch.zeros(thresholds, dtype=torch.float64)
        self.hits_recall = torch.zeros(thresholds, dtype=torch.float64)
        self.positives = 0.0

    def _near(self, x: Tensor) -> Tensor:
        r = self.tolerance
        return (F.max_pool2d(x.float(), 2 * r + 1, 1, r) if r else x.float()) > 0

    def update(self, pred: Tensor, target: Tensor) -> None:
        n, h, w = pred.shape[0], pred.shape[-2], pred.shape[-1]
        prob = torch.sigmoid(pred.float()).reshape(n, 1, h, w)
        target = target.reshape(n, 1, h, w)
        valid = target >= 0
        truth = (target > 0.5) & valid
        truth_near = self._near(truth)
        thresholds = self.thresholds.to(prob.device)
        for start in range(0, len(thresholds), 25):
            chunk = thresholds[start:start + 25]
            index = slice(start, start + len(chunk))
            above = (prob >= chunk.view(1, -1, 1, 1)) & valid
            self.hits_precision[index] += (above & truth_near).sum((0, 2, 3)).double().cpu()
            self.predicted[index] += above.sum((0, 2, 3)).double().cpu()
            self.hits_recall[index] += (truth & self._near(above)).sum((0, 2, 3)).double().cpu()
        self.positives += float(truth.sum())

    def compute(self) -> float:
        precision = self.hits_precision / self.predicted.clamp_min(1e-12)
        recall = self.hits_recall / max(self.positives, 1e-12)
        return float((2 * precision * recall / (precision + recall).clamp_min(1e-12)).max())


@dataclass(frozen=True)
class EdgeTask(Task):
    """Binary edges: class-balanced BCE, scored by :class:`EdgeF` with ``tolerance`` pixels."""

    tolerance: int = 1

    def new_metric(self) -> Metric:
        return EdgeF(self.tolerance)


@dataclass(frozen=True)
class UnitNormalTask(Task):
    """Surface normals: L1 between the unit-normalised prediction and the unit target (Appendix D)."""

    def loss_map(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        return loss_map("masked_l1", F.normalize(pred.float(), dim=1), target)


_SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0


def sobel(x: Tensor) -> Tensor:
    """Horizontal and vertical Sobel derivatives of a one-channel map (N, 1, H, W) -> (N, 2, H, W)."""
    kernel = torch.stack([_SOBEL, _SOBEL.T]).unsqueeze(1).to(x)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)


@dataclass(frozen=True)
class GradientDepthTask(Task):
    """Depth: per-pixel L1 plus the L1 between the Sobel gradients of prediction and target (Eigen & Fergus),
    over valid (positive) target pixels; scored by RMSE per image, averaged over images."""

    def loss_map(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        pred, target = pred.float(), target.float()
        valid = target > 0
        inner = -F.max_pool2d(-valid.float(), 3, 1, 1) > 0
        gradient = (sobel(pred) - sobel(target)).abs().sum(1, keepdim=True)
        values = (pred - target).abs() + torch.where(inner, gradient, torch.zeros_like(gradient))
        return values[:, 0], valid[:, 0]

    def new_metric(self) -> Metric:
        return PerImageRMSE()


EDGE = register(EdgeTask("edge", 1, "balanced_bce", "odsf", True))
UNIT_NORMAL = register(UnitNormalTask("normal_unit", 3, "masked_l1", "angle", False))
GRADIENT_DEPTH = register(GradientDepthTask("depth_gradient", 1, "masked_l1", "rmse", False))

LOSS_WEIGHTS: dict[str, float] = {"edge": 50.0, "seg": 1.0, "parts": 2.0, "norm": 10.0, "sal": 5.0, "depth": 1.0,
                                  "albedo": 10.0}
"""w_t of Eq. 5 per table column (Appendix D)."""
HIGHER_IS_BETTER: dict[str, bool] = {"edge": True, "seg": True, "parts": True, "norm": False, "sal": True,
                                     "depth": False, "albedo": False}
PERCENT = ("edge", "seg", "parts", "sal")
"""Columns the paper prints in percent (F-measures and mIoU); ours are multiplied by 100 to match."""
FSV_CLASSES: dict[str, tuple[str, ...]] = {
    "background": ("building", "sky", "vegetation"),
    "ground": ("road", "sidewalk"),
    "object": ("car", "truck", "pole", "person"),
}
"""The three segmentation classes of the FSV stand-in, as groups of the street scenes' classes."""
EDGE_THRESHOLD = 0.5
"""Binary edges are the scenes' occlusion/crease edge map above this value."""

# ----------------------------------------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneDataset:
    """A procedural stand-in for one of the paper's datasets: scene ``family``, its tasks, and a seed offset."""

    name: str
    family: str
    tasks: tuple[str, ...]
    seed_offset: int


DATASETS: dict[str, SceneDataset] = {
    "pascal": SceneDataset("pascal", "indoor", ("edge", "seg", "parts", "norm", "sal"), 0),
    "nyud": SceneDataset("nyud", "indoor", ("edge", "seg", "norm", "depth"), 1),
    "fsv": SceneDataset("fsv", "street", ("seg", "albedo", "depth"), 2),
}


@dataclass(frozen=True)
class PreparedDataset:
    """Where a table dataset is read from once a converter of :mod:`paper_mtl.data.converters` has prepared it.

    ``names``: the prepared datasets tried in order (the converters' default names); ``splits``: its (train,
    validation) splits; ``columns``: the prepared array of each table column. An ``edge`` column missing from
    ``columns`` is computed from the prepared ``segment_semantic`` (:func:`segmentation_edges`).
    """

    names: tuple[str, ...]
    splits: tuple[str, str]
    columns: Mapping[str, str]


PREPARED: dict[str, PreparedDataset] = {
    "pascal": PreparedDataset(("pascal_mt",), ("train", "val"), {
        "edge": "edge_texture", "seg": "segment_semantic", "parts": "parts", "norm": "normal", "sal": "saliency"}),
    "nyud": PreparedDataset(NYUV2_NAMES, ("train", "test"), {
        "seg": "segment_semantic", "norm": "normal", "depth": "depth_zbuffer"}),
}
"""Real datasets used when prepared: PASCAL-Context (``data_scripts/prepare_pascal.py``) and NYUv2
(``data_scripts/prepare_nyuv2.py``, either layout). FSV has no converter."""


def procedural_source(name: str) -> str:
    """The source name of dataset ``name``'s procedural stand-in: ``"indoor scenes"`` or ``"street scenes"``."""
    check_choice("dataset", name, DATASETS)
    return f"{DATASETS[name].family} scenes"


def _check_source(name: str, source: str) -> str:
    check_choice("dataset", name, DATASETS)
    prepared = PREPARED[name].names if name in PREPARED else ()
    check_choice(f"source of dataset {name!r}", source, (procedural_source(name), *prepared))
    return source


def _prepared_arrays(name: str) -> list[str]:
    """The prepared arrays dataset ``name``'s table columns are made of (the segmentation too for derived edges)."""
    spec = PREPARED[name]
    arrays = [spec.columns[c] for c in DATASETS[name].tasks if c in spec.columns]
    if "edge" in DATASETS[name].tasks and "edge" not in spec.columns:
        arrays.append("segment_semantic")
    return list(dict.fromkeys(arrays))


def check_prepared(name: str, source: str) -> None:
    """Raise ``ValueError`` naming the missing arrays and the table columns that need them unless both splits of
    prepared dataset ``source`` hold every array dataset ``name``'s tables use."""
    _check_source(name, source)
    spec = PREPARED[name]
    for split in spec.splits:
        arrays, _ = load_split(source, split)
        missing = [a for a in ["rgb", *_prepared_arrays(name)] if a not in arrays]
        if missing:
            columns = [c for c in DATASETS[name].tasks if spec.columns.get(c, "segment_semantic") in missing]
            raise ValueError(
                f"prepared dataset {source!r} (split {split!r}) lacks {missing}, needed by the {name} tables' "
                f"column(s) {columns}; prepare it again with every task, or move it out of the data directory to "
                f"train on the {procedural_source(name)}")


def data_source(name: str) -> str:
    """What the tables of dataset ``name`` train on: the first prepared dataset of :data:`PREPARED` with both its
    splits, else the procedural scenes (:func:`procedural_source`). A prepared dataset that lacks an array a table
    column needs raises ``ValueError`` (:func:`check_prepared`), before anything trains."""
    check_choice("dataset", name, DATASETS)
    spec = PREPARED.get(name)
    source = first_prepared(spec.names, spec.splits) if spec else None
    if source is None:
        return procedural_source(name)
    check_prepared(name, source)
    return source


def prepared_classes(source: str, split: str, array: str) -> int:
    """The number of classes of label array ``array`` of a prepared split: as its manifest declares, else the
    largest label + 1."""
    arrays, meta = load_split(source, split)
    declared = meta.get("tasks", {}).get(array, {}).get("num_classes")
    return int(declared) if declared is not None else int(np.max(arrays[array])) + 1


def dataset_tasks(name: str, source: str | None = None) -> dict[str, Task]:
    """The tasks of dataset ``name`` trained on ``source`` (default :func:`data_source`), keyed by their table
    column; the class counts of a prepared source come from its manifest."""
    check_choice("dataset", name, DATASETS)
    spec = DATASETS[name]
    source = data_source(name) if source is None else _check_source(name, source)
    classes = {"seg": len(FSV_CLASSES) if name == "fsv" else len(scene_classes(spec.family)),
               "parts": len(part_classes(spec.family))}
    if source != procedural_source(name):
        prepared = PREPARED[name]
        classes.update({c: prepared_classes(source, prepared.splits[0], prepared.columns[c])
                        for c in classes if c in spec.tasks})
    every = {
        "edge": EDGE,
        "seg": get_task("segment_semantic", classes=classes["seg"]),
        "parts": get_task("parts", classes=classes["parts"]),
        "norm": UNIT_NORMAL,
        "sal": get_task("saliency", channels=1, loss="balanced_bce", metric="max_f"),
        "depth": GRADIENT_DEPTH,
        "albedo": get_task("albedo"),
    }
    return {t: every[t] for t in spec.tasks}


def scene_targets(name: str, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Table-column targets of dataset ``name`` from the scene renderer's label arrays."""
    spec = DATASETS[name]
    seg = arrays["segment_semantic"]
    if name == "fsv":
        names = scene_classes(spec.family)
        lookup = np.zeros(len(names), dtype=np.int64)
        for label, group in enumerate(FSV_CLASSES.values()):
            lookup[[names.index(c) for c in group]] = label
        seg = lookup[seg]
    parts = arrays["parts"].copy()
    parts[(parts == 0).all(axis=(1, 2))] = -1
    depth = arrays["depth_zbuffer"]
    every = {
        "edge": (arrays["edge_occlusion"] > EDGE_THRESHOLD).astype(np.float32),
        "seg": seg,
        "parts": parts,
        "norm": arrays["normal"],
        "sal": arrays["saliency"],
        "depth": (1.0 / depth).astype(np.float32) if name == "fsv" else depth,
        "albedo": arrays["albedo"],
    }
    return {t: every[t] for t in spec.tasks}


def pooled_edges(source: str, split: str, array: str, image_size: int, count: int) -> Tensor:
    """The first ``count`` binary edge maps (n, 1, H, W) of a prepared split, max-pooled to ``image_size``: a pixel
    is an edge when an edge pixel falls in its cell, so one-pixel-wide edges survive a downsampling that nearest
    sampling would break up."""
    edges = load_split(source, split)[0][array]
    chunks = [F.adaptive_max_pool2d(torch.from_numpy(np.array(edges[i:min(i + 64, count)], dtype=np.float32)),
                                    image_size) for i in range(0, count, 64)]
    return torch.cat(chunks)


def segmentation_edges(labels: Tensor) -> Tensor:
    """Binary edges (n, 1, H, W) of label maps (n, H, W): the PASCAL converter's thinned non-zeros of the
    Laplacian of the label map (:func:`~paper_mtl.data.converters.pascal.label_edges`), ignored pixels (-1)
    counting as one more label."""
    return torch.from_numpy(np.stack([label_edges(m) for m in labels.numpy()]).astype(np.float32)[:, None])


def prepared_split(name: str, source: str, split: str, image_size: int, limit: int) -> MultiTaskData:
    """The first ``limit`` samples of split ``split`` of prepared dataset ``source`` as dataset ``name``'s table
    columns, at ``image_size`` (see the module docstring for each column)."""
    spec = PREPARED[name]
    data = load_prepared(source, split, [a for a in _prepared_arrays(name) if a != spec.columns.get("edge")],
                         size=image_size, limit=limit)
    targets: dict[str, Tensor] = {}
    for column in DATASETS[name].tasks:
        if column == "edge":
            targets[column] = (pooled_edges(source, split, spec.columns["edge"], image_size, len(data))
                               if "edge" in spec.columns else segmentation_edges(data.targets["segment_semantic"]))
        elif column == "parts":
            parts = data.targets[spec.columns[column]].clone()
            parts[(parts <= 0).flatten(1).all(1)] = -1
            targets[column] = parts
        else:
            targets[column] = data.targets[spec.columns[column]]
    meta = {"dataset": name, "source": source, "split": split, "origin": data.meta.get("source"),
            "tasks": data.meta.get("tasks", {})}
    return MultiTaskData(data.inputs, targets, meta)


def scene_data(
    name: str, train_size: int, val_size: int, image_size: int, seed: int, device: str = "cpu",
    source: str | None = None,
) -> tuple[MultiTaskData, MultiTaskData]:
    """Train and validation splits of dataset ``name`` from ``source`` (default :func:`data_source`), on the CPU.

    Procedural scenes are rendered on ``device`` when it is CUDA and depend on ``(seed, dataset)`` only: train
    scene i and validation scene i are the same for every split size. A prepared dataset gives the first
    ``train_size`` / ``val_size`` images of its two splits (:func:`prepared_split`; fewer when it has fewer) and
    ignores ``seed``. ``meta["source"]`` names the source.
    """
    check_choice("dataset", name, DATASETS)
    return _scene_data(name, train_size, val_size, image_size, seed, device,
                       data_source(name) if source is None else source)


@lru_cache(maxsize=3)
def _scene_data(
    name: str, train_size: int, val_size: int, image_size: int, seed: int, device: str, source: str,
) -> tuple[MultiTaskData, MultiTaskData]:
    if _check_source(name, source) != procedural_source(name):
        splits = PREPARED[name].splits
        return (prepared_split(name, source, splits[0], image_size, train_size),
                prepared_split(name, source, splits[1], image_size, val_size))
    spec = DATASETS[name]
    data_seed = 3 * seed + spec.seed_offset
    where = device if device.startswith("cuda") else None
    train = render(train_size, image_size, spec.family, seed=data_seed, device=where)
    val = render(val_size, image_size, spec.family, seed=data_seed + 10_000, device=where)
    return tuple(  # type: ignore[return-value]
        MultiTaskData(torch.from_numpy(a["rgb"]), {k: torch.from_numpy(v) for k, v in scene_targets(name, a).items()},
                      {"dataset": name, "family": spec.family, "seed": data_seed, "source": source})
        for a in (train, val)
    )


# ----------------------------------------------------------------------------------------------------------
# Variants (table rows), profiles, tables
# ----------------------------------------------------------------------------------------------------------

VARIANTS: dict[str, dict[str, Any]] = {
    "single_plain": dict(se_encoder="none", se_decoder="none", adapters="none", adversarial=False),
    "single": dict(se_encoder="shared", se_decoder="none", adapters="none", adversarial=False),
    "multi_plain": dict(se_encoder="none", se_decoder="none", adapters="none", adversarial=False),
    "multi": dict(se_encoder="shared", se_decoder="none", adapters="none", adversarial=False),
    "adv": dict(se_encoder="shared", se_decoder="none", adapters="none", adversarial=True),
    "ra": dict(se_encoder="shared", se_decoder="none", adapters="block", adversarial=False),
    "se_dec": dict(se_encoder="shared", se_decoder="task", adapters="none", adversarial=False),
    "se": dict(se_encoder="task", se_decoder="task", adapters="none", adversarial=False),
    "se_adv": dict(se_encoder="task", se_decoder="task", adapters="none", adversarial=True),
    "se_ra_adv": dict(se_encoder="task", se_decoder="task", adapters="block", adversarial=True),
}
"""Each variant's network options; ``single*`` variants train one network per task."""
SINGLE = ("single_plain", "single")
LABELS: dict[str, str] = {
    "single_plain": "single-task, no SE", "single": "single-task (ST)", "multi_plain": "multi-task, no SE",
    "multi": "multi-task (MT)", "adv": "MT + adversarial (A)", "ra": "residual adapters (RA)",
    "se_dec": "SE decoder only", "se": "SE encoder + decoder", "se_adv": "SE + A (SEA)",
    "se_ra_adv": "SE + RA + A",
}
RESNETS = ("R-26", "R-50", "R-101")


@dataclass(frozen=True)
class Settings:
    """Sizes of one profile. ``layers`` gives each named backbone's blocks per stage (small stand-ins)."""

    image_size: int
    train_size: int
    val_size: int
    epochs: int
    batch_size: int
    lr: float
    width: float
    mobilenet_width: float
    decoder_width: int
    uber_width: int
    stem_stride: int
    rates: tuple[int, ...]
    layers: dict[str, tuple[int, ...]]
    tables: tuple[str, ...]
    figure5_variants: tuple[str, ...]
    probe_images: int = 32
    shown_images: int = 3
    tsne_levels: int = 5


ALL_TABLES = ("3a", "3b", "3c", "3d", "3e", "4a", "4b", "5a", "5b", "6a", "6b", "6c", "7")
PAPER_TABLES = ("3a", "3b", "3c", "3d", "3e", "4a")
"""The tables the paper profile trains (what one GPU lease holds; see :data:`SETTINGS`)."""
FIGURE5_VARIANTS = ("single", "multi", "adv", "se_dec", "se", "se_adv", "se_ra_adv")
SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        image_size=16, train_size=8, val_size=8, epochs=1, batch_size=4, lr=0.05, width=1 / 16,
        mobilenet_width=0.25, decoder_width=8, uber_width=4, stem_stride=2, rates=(1, 2, 3),
        layers={"R-26": (1, 1, 1, 1), "R-50": (1, 2, 2, 1), "R-101": (1, 2, 4, 1)},
        tables=("3a", "3b", "3c", "3d", "4a"), figure5_variants=FIGURE5_VARIANTS[:-1], probe_images=6,
        shown_images=2, tsne_levels=3,
    ),
    "quick": Settings(
        image_size=32, train_size=256, val_size=96, epochs=6, batch_size=8, lr=0.05, width=1 / 8,
        mobilenet_width=0.25, decoder_width=16, uber_width=8, stem_stride=2, rates=(1, 2, 3),
        layers={"R-26": (1, 1, 1, 1), "R-50": (1, 2, 2, 1), "R-101": (1, 2, 4, 1)},
        tables=("3a", "3b", "3c", "3d", "4a"), figure5_variants=FIGURE5_VARIANTS[:-1],
    ),
    "paper": Settings(
        image_size=64, train_size=1280, val_size=320, epochs=2, batch_size=32, lr=0.05, width=1 / 4,
        mobilenet_width=0.5, decoder_width=64, uber_width=16, stem_stride=2, rates=(2, 4, 6),
        layers=dict(BACKBONES), tables=PAPER_TABLES, figure5_variants=FIGURE5_VARIANTS,
    ),
}
"""Per-profile sizes. ``smoke`` trains Tables 3(a)-(d) and 4(a) for a few steps (every code path, meaningless
numbers); ``quick`` trains the same tables long enough for the effects to show, with small stand-ins of the
backbones (R-26: 4 bottlenecks, R-50: 6); ``paper`` trains Tables 3(a)-(e) and 4(a) with the paper's block counts (8,
16 and 33 bottlenecks), cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    f"Tables 3(a)-(e) and 4(a) only, at 64x64 for 2 epochs (80 steps a network), {PAPER_LEASE}"
    ": every table for 3 epochs would take about 3.5 times the kernel launches, so Tables 4(b), 5, 6 and 7 stay "
    "'not testable here' at paper too; the decisive seeds (3 at paper) add 2 trainings each of the R-26 PASCAL "
    "multi-task and SEA networks (about 15% more training than one seed of these tables)"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings_for(profile: str) -> Settings:
    """The :class:`Settings` of ``profile`` (``smoke``, ``quick`` or ``paper``)."""
    return SETTINGS[check_profile(profile)]


@dataclass(frozen=True)
class TableSpec:
    """One paper table: its dataset, its rows as (backbone, decoder, variant), the transcription's name."""

    dataset: str
    rows: tuple[tuple[str, str, str], ...]
    published: str
    title: str


def _rows(backbones: Sequence[str], variants: Sequence[str], decoder: str = "deeplab") -> tuple[tuple[str, str, str], ...]:
    return tuple((b, decoder, v) for b in backbones for v in variants)


SEA = ("single", "multi", "se_adv")
TABLES: dict[str, TableSpec] = {
    "3a": TableSpec("pascal", _rows(["R-26"], ["single_plain", "single", "multi_plain", "multi"]),
                    "04_table3a_baselines", "Table 3(a): SE backbone baselines (PASCAL)"),
    "3b": TableSpec("pascal", _rows(["R-26"], ["single", "multi", "ra", "se"]), "04_table3b_modulation",
                    "Table 3(b): SE vs residual adapters (PASCAL)"),
    "3c": TableSpec("pascal", _rows(["R-26"], ["single", "multi", "se_dec", "se"]), "04_table3c_se_placement",
                    "Table 3(c): SE in the decoder vs encoder and decoder (PASCAL)"),
    "3d": TableSpec("pascal", _rows(["R-26"], ["single", "multi", "adv", "se", "se_adv"]), "04_table3d_adversarial",
                    "Table 3(d): adversarial training with and without SE (PASCAL)"),
    "3e": TableSpec("pascal", _rows(RESNETS, SEA), "04_table3e_backbones", "Table 3(e): backbones (PASCAL)"),
    "4a": TableSpec("nyud", _rows(["R-50"], SEA), "04_table4a_nyud", "Table 4(a): NYUD"),
    "4b": TableSpec("fsv", _rows(["R-50"], SEA), "04_table4b_fsv", "Table 4(b): FSV"),
    "5a": TableSpec("nyud", _rows(RESNETS, SEA), "04_table5a_nyud_backbones", "Table 5(a): NYUD backbones"),
    "5b": TableSpec("fsv", _rows(RESNETS, SEA), "04_table5b_fsv_backbones", "Table 5(b): FSV backbones"),
    "6a": TableSpec("pascal", _rows(["R-50"], SEA, "uber") + (("R-50", "deeplab", "se_adv"),),
                    "04_table6a_ubernet_pascal", "Table 6(a): UberNet heads (PASCAL)"),
    "6b": TableSpec("nyud", _rows(["R-50"], SEA, "uber") + (("R-50", "deeplab", "se_adv"),),
                    "04_table6b_ubernet_nyud", "Table 6(b): UberNet heads (NYUD)"),
    "6c": TableSpec("fsv", _rows(["R-50"], SEA, "uber") + (("R-50", "deeplab", "se_adv"),),
                    "04_table6c_ubernet_fsv", "Table 6(c): UberNet heads (FSV)"),
    "7": TableSpec("pascal", _rows([MOBILENET], ["single", "multi", "se_dec", "se"]), "04_table7_mobilenet",
                   "Table 7: MobileNetV2 (PASCAL)"),
}
PROBED = {"pascal": "R-26", "nyud": "R-50"}
"""Datasets whose MT and SEA rows are probed for Figures 1, 6, 7 (PASCAL, Table 3's R-26) and 8 (NYUD, Table 4's
R-50)."""


def printed_backbone(backbone: str, decoder: str) -> str:
    """How the paper's tables name a (backbone, decoder) pair: ``R-50``, ``R-50-Uber``, ``MNet``."""
    if backbone == MOBILENET:
        return "MNet"
    return f"{backbone}-Uber" if decoder == "uber" else backbone


def row_configs(
    settings: Settings, dataset: str, backbone: str, decoder: str, variant: str, seed: int, device: str,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """The training configurations of one table row: one per task for single-task variants, else one.

    Each names its data (``data``: ``source``, default :func:`data_source`), so results cached on the procedural
    scenes are never reused for a prepared dataset or the other way round."""
    check_choice("dataset", dataset, DATASETS)
    check_choice("variant", variant, VARIANTS)
    tasks = list(DATASETS[dataset].tasks)
    options = dict(VARIANTS[variant])
    if decoder == "uber":
        options["se_decoder"] = "none"
    mobile = backbone == MOBILENET
    base = {
        "dataset": dataset, "data": data_source(dataset) if source is None else _check_source(dataset, source),
        "backbone": backbone, "decoder": decoder, "variant": variant, **options,
        "layers": None if mobile else list(settings.layers[backbone]),
        "width": settings.mobilenet_width if mobile else settings.width,
        "decoder_width": settings.decoder_width, "uber_width": settings.uber_width,
        "stem_stride": settings.stem_stride, "rates": list(settings.rates), "image_size": settings.image_size,
        "train_size": settings.train_size, "val_size": settings.val_size, "epochs": settings.epochs,
        "batch_size": settings.batch_size, "lr": settings.lr, "seed": seed, "device": device,
        "probes": _probed(dataset, backbone, decoder, variant),
        "probe_images": settings.probe_images, "shown_images": settings.shown_images,
        "tsne_levels": settings.tsne_levels,
    }
    if variant in SINGLE:
        return [{**base, "tasks": [t]} for t in tasks]
    return [{**base, "tasks": tasks}]


def _probed(dataset: str, backbone: str, decoder: str, variant: str) -> bool:
    return PROBED.get(dataset) == backbone and decoder == "deeplab" and variant in ("multi", "se_adv")


# ----------------------------------------------------------------------------------------------------------
# One training run (the sweep function)
# ----------------------------------------------------------------------------------------------------------


def build_row_model(config: Mapping[str, Any], tasks: Mapping[str, Task]) -> TaskConditionedNet:
    """The network of one configuration (see :func:`row_configs`)."""
    return build_single_tasking(
        tasks, config["backbone"], config["se_encoder"], config["se_decoder"], config["adapters"], config["decoder"],
        config["width"], config["decoder_width"], config["uber_width"], config["stem_stride"], config["layers"],
        config["rates"],
    )


def train_row(config: dict[str, Any]) -> dict[str, Any]:
    """Train and evaluate one configuration; module-level so :func:`~paper_mtl.sweep.run_sweep` can cache it.

    Returns validation ``metric`` and ``loss`` per task, ``params`` and ``multiply_adds`` (one inference call at
    the training image size), the training ``history``, and for probed rows ``probes`` (see
    :func:`probe_network`).
    """
    device = resolve_device(config["device"])
    train, val = scene_data(config["dataset"], config["train_size"], config["val_size"], config["image_size"],
                            config["seed"], str(device), config["data"])
    every = dataset_tasks(config["dataset"], config["data"])
    tasks = {t: every[t] for t in config["tasks"]}
    seed_everything(config["seed"])
    model = build_row_model(config, tasks)
    weights = {t: LOSS_WEIGHTS[t] for t in tasks}
    strategy: Strategy = AdversarialGradients(weights) if config["adversarial"] else WeightedSum(weights)
    epochs = config["epochs"]
    result = fit(
        model, tasks, train.select_tasks(list(tasks)), strategy=strategy, epochs=epochs,
        batch_size=config["batch_size"], optimizer="sgd", lr=config["lr"], momentum=0.9, weight_decay=1e-4,
        lr_milestones=[max(1, math.ceil(0.75 * epochs))], param_groups=lambda m: m.param_groups(config["lr"]),
        batch_plan=SingleTaskSteps(list(tasks)), seed=config["seed"], device=device, progress=False,
    )
    scores = evaluate(model, tasks, val.select_tasks(list(tasks)), batch_size=64, device=device)
    size = config["image_size"]
    out: dict[str, Any] = {
        "metric": {t: 100.0 * v if t in PERCENT else v for t, v in scores["metric"].items()},
        "loss": scores["loss"],
        **complexity(model, (1, 3, size, size), list(tasks), device),
        "history": result.history,
    }
    if config["probes"]:
        out["probes"] = probe_network(model, val, tasks, config["probe_images"], config["shown_images"],
                                      config["tsne_levels"], config["seed"])
    return out


# ----------------------------------------------------------------------------------------------------------
# Probes of a trained network (Figures 1, 6, 7, 8)
# ----------------------------------------------------------------------------------------------------------


def _spaced(items: Sequence[Any], count: int) -> list[Any]:
    if len(items) <= count:
        return list(items)
    return [items[int(round(i))] for i in np.linspace(0, len(items) - 1, count)]


@torch.no_grad()
def se_gates(model: TaskConditionedNet, x: Tensor, levels: int) -> dict[str, dict[str, np.ndarray]]:
    """Per-task SE gates at ``levels`` equally spaced per-task SE modules: ``{level: {task: (N, C) array}}``."""
    switches = [(name, m) for name, m in model.named_modules()
                if isinstance(m, TaskSwitch) and isinstance(next(iter(m.branches.values())), SqueezeExcitation)]
    chosen = _spaced(switches, levels)
    gates: dict[str, dict[str, np.ndarray]] = {name: {} for name, _ in chosen}
    hooks = []
    for name, switch in chosen:
        for task, se in switch.branches.items():
            def hook(module, args, output, name=name, task=task):
                gates[name][task] = output.flatten(1).cpu().numpy()
            hooks.append(se.scale_activation.register_forward_hook(hook))
    try:
        model.eval()
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return gates


@torch.no_grad()
def layer_features(model: TaskConditionedNet, x: Tensor) -> dict[str, dict[str, Tensor]]:
    """Each task's feature maps after every backbone stage and after the decoder: ``{layer: {task: (N,C,h,w)}}``."""
    stages = model.encoder.stages if hasattr(model.encoder, "stages") else [model.encoder.low, model.encoder.high]
    layers = {f"stage {i + 1}": m for i, m in enumerate(stages)}
    layers["decoder"] = model.decoder
    feats: dict[str, dict[str, Tensor]] = {name: {} for name in layers}
    current: dict[str, str] = {}
    hooks = []
    for name, module in layers.items():
        def hook(module, args, output, name=name):
            feats[name][current["task"]] = output.detach().cpu()
        hooks.append(module.register_forward_hook(hook))
    try:
        model.eval()
        for task in model.tasks:
            current["task"] = task
            model(x, tasks=[task])
    finally:
        for h in hooks:
            h.remove()
    return feats


def feature_similarity(feats: Mapping[str, Tensor]) -> float:
    """Mean over task pairs and images of the cosine similarity of two tasks' flattened feature maps."""
    tasks = list(feats)
    if len(tasks) < 2:
        return 1.0
    sims = [F.cosine_similarity(feats[a].flatten(1), feats[b].flatten(1), dim=1).mean() for a, b in combinations(tasks, 2)]
    return float(torch.stack(sims).mean())


def shared_pca(feats: Mapping[str, Tensor], image: int = 0) -> np.ndarray:
    """Fig. 1: one PCA basis across tasks of image ``image``'s features; first three components per task as RGB.

    Returns (T, h, w, 3) in [0, 1] (each component min-max scaled over all tasks together)."""
    maps = np.stack([f[image].numpy() for f in feats.values()])  # (T, C, h, w)
    t, c, h, w = maps.shape
    pixels = maps.transpose(0, 2, 3, 1).reshape(-1, c)
    components = min(3, c, len(pixels))
    projected = PCA(components, random_state=0).fit_transform(pixels)
    projected = np.pad(projected, ((0, 0), (0, 3 - components)))
    lo, hi = projected.min(0), projected.max(0)
    return ((projected - lo) / np.where(hi > lo, hi - lo, 1.0)).reshape(t, h, w, 3)


def probe_network(
    model: TaskConditionedNet, val: MultiTaskData, tasks: Mapping[str, Task], probe_images: int, shown_images: int,
    tsne_levels: int, seed: int,
) -> dict[str, Any]:
    """Numbers behind Figures 1, 6, 7 and 8 for a trained network, on the first validation images.

    * ``tsne``: a DataFrame (level, depth, task, x, y) of a t-SNE per level of the per-task SE gates of the first
      ``probe_images`` images, and ``separation``: per level, the silhouette score of those gates grouped by task
      (higher = more task-specific); empty when the encoder has no per-task SE.
    * ``similarity``: per layer, the mean cosine similarity of the tasks' feature maps; ``pca``: Fig. 1's RGB
      images (layer -> (T, h, w, 3)) of the first image.
    * ``predictions``: the first ``shown_images`` inputs, targets and predictions (Figs. 7-8).
    """
    device = next(model.parameters()).device
    x = val.inputs[:probe_images].to(device).float()
    out: dict[str, Any] = {"tsne": pd.DataFrame(columns=["level", "depth", "task", "x", "y"]),
                           "separation": pd.DataFrame(columns=["level", "depth", "silhouette"])}
    gates = se_gates(model, x, tsne_levels)
    if gates:
        rows, scores = [], []
        for depth, (level, per_task) in enumerate(gates.items()):
            names = list(per_task)
            points = np.concatenate([per_task[t] for t in names])
            labels = np.repeat(np.arange(len(names)), [len(per_task[t]) for t in names])
            perplexity = max(2.0, min(15.0, (len(points) - 1) / 3))
            embedded = TSNE(2, perplexity=perplexity, init="pca", max_iter=500, random_state=seed).fit_transform(points)
            rows += [{"level": level, "depth": depth, "task": names[k], "x": float(p[0]), "y": float(p[1])}
                     for p, k in zip(embedded, labels)]
            scores.append({"level": level, "depth": depth, "silhouette": float(silhouette_score(points, labels))})
        out["tsne"], out["separation"] = pd.DataFrame(rows), pd.DataFrame(scores)
    feats = layer_features(model, x)
    out["similarity"] = pd.DataFrame([{"layer": name, "depth": i, "similarity": feature_similarity(f)}
                                      for i, (name, f) in enumerate(feats.items())])
    out["pca"] = {name: shared_pca(f).round(3).tolist() for name, f in feats.items()}
    model.eval()
    with torch.no_grad():
        preds = model(x[:shown_images])
    out["predictions"] = {
        "rgb": val.inputs[:shown_images].numpy().round(3).tolist(),
        "target": {t: val.targets[t][:shown_images].float().numpy().round(3).tolist() for t in tasks},
        "output": {t: display_prediction(tasks[t], p).round(3).tolist() for t, p in preds.items()},
    }
    return out


def display_prediction(task: Task, pred: Tensor) -> np.ndarray:
    """A prediction as shown in Figs. 7-8: labels for label tasks, probabilities for binary maps, unit normals."""
    pred = pred.float().cpu()
    if task.is_classification:
        return pred.argmax(1).numpy().astype(np.float32)
    if task.loss == "balanced_bce":
        return torch.sigmoid(pred[:, 0]).numpy()
    if task.channels == 3 and isinstance(task, UnitNormalTask):
        return F.normalize(pred, dim=1).numpy()
    return pred.numpy() if task.channels > 1 else pred[:, 0].numpy()


# ----------------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------------

SWEEP = "04_single_tasking"


def _published_variant(row: pd.Series) -> str:
    if "variant" in row and isinstance(row["variant"], str) and row["variant"]:
        return row["variant"]
    if int(row["num_tasks"]) == 1:
        return "single"
    return "se_adv" if str(row["sea"]) == "True" else "multi"


def published_table(name: str) -> pd.DataFrame:
    """A transcribed table with a ``variant`` column (derived from the SEA flag where not annotated)."""
    df = published.load(name)
    df["variant"] = [_published_variant(r) for _, r in df.iterrows()]
    return df


def run_rows(
    rows: Sequence[tuple[str, str, str]], dataset: str, profile: str, seed: int = 0, device: str = "cpu",
    progress: bool = True,
) -> pd.DataFrame:
    """Train (or load from the sweep cache) each (backbone, decoder, variant) row on ``dataset`` (from
    :func:`data_source`, checked before anything trains).

    Returns one row per table row: backbone, decoder, variant, T, the task metrics, ``delta_m`` against the
    single-task row of the same backbone and decoder (trained too when not listed), params and multiply-adds
    (the sum over the T networks for single-task rows), and ``probes`` (or None).
    """
    settings = settings_for(profile)
    device = str(resolve_device(device))
    wanted = list(dict.fromkeys(rows))
    needed = wanted + [(b, d, "single") for b, d, _ in wanted if (b, d, "single") not in wanted]
    needed = list(dict.fromkeys(needed))
    source = data_source(dataset)
    configs = {row: row_configs(settings, dataset, *row, seed, device, source) for row in needed}
    flat = [c for row in needed for c in configs[row]]
    results = iter(run_sweep(train_row, flat, SWEEP, progress=progress))
    measured: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in needed:
        parts = [next(results) for _ in configs[row]]
        metric = {k: v for p in parts for k, v in p["metric"].items()}
        measured[row] = {
            "metric": metric, "params": sum(p["params"] for p in parts),
            "multiply_adds": sum(p["multiply_adds"] for p in parts), "probes": parts[0].get("probes"),
        }
    tasks = list(DATASETS[dataset].tasks)
    records = []
    for backbone, decoder, variant in wanted:
        m = measured[(backbone, decoder, variant)]
        base = measured[(backbone, decoder, "single")]["metric"]
        records.append({
            "backbone": backbone, "decoder": decoder, "variant": variant, "label": LABELS[variant],
            "T": 1 if variant in SINGLE else len(tasks), **m["metric"],
            "delta_m": delta_m(m["metric"], base, HIGHER_IS_BETTER), "params": m["params"],
            "multiply_adds": m["multiply_adds"], "probes": m["probes"],
        })
    return pd.DataFrame(records)


def run_table(name: str, profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Paper table ``name`` (``"3a"`` ... ``"7"``): our rows beside the published ones.

    Columns: backbone (as printed), variant, label, source (``paper`` / ``ours``), T, the task metrics, delta_m,
    params and multiply_adds (ours only). Our Δm is recomputed from our metrics; the paper's is as printed. A
    table the profile does not train (see :func:`profile_tables`) has the paper's rows only.
    """
    check_choice("table", name, TABLES)
    spec = TABLES[name]
    tasks = list(DATASETS[spec.dataset].tasks)
    columns = ["backbone", "variant", "label", "source", "T", *tasks, "delta_m", "params", "multiply_adds"]
    paper = published_table(spec.published).rename(columns={"num_tasks": "T"})
    paper["source"] = "paper"
    paper["label"] = paper["variant"].map(LABELS)
    if name not in settings_for(profile).tables:
        table = paper.reindex(columns=columns)
    else:
        ours = run_rows(spec.rows, spec.dataset, profile, seed, device, progress)
        ours["backbone"] = [printed_backbone(b, d) for b, d in zip(ours["backbone"], ours["decoder"])]
        ours["source"] = "ours"
        frames = []
        for _, mine in ours.iterrows():
            frames.append(paper[(paper["backbone"] == mine["backbone"]) & (paper["variant"] == mine["variant"])])
            frames.append(mine.to_frame().T)
        table = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
    for col in [*tasks, "delta_m", "params", "multiply_adds"]:
        table[col] = pd.to_numeric(table[col])
    table["T"] = table["T"].astype(int)
    return table


def table_rows(table: pd.DataFrame, source: str = "ours") -> dict[tuple[str, str], pd.Series]:
    """``{(backbone, variant): row}`` of one source of a :func:`run_table` result."""
    part = table[table["source"] == source]
    return {(r["backbone"], r["variant"]): r for _, r in part.iterrows()}


# ----------------------------------------------------------------------------------------------------------
# Figure 5: accuracy against parameters and multiply-adds
# ----------------------------------------------------------------------------------------------------------


def resources(profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Fig. 5: Δm of every variant on PASCAL against its parameters and multiply-adds, per backbone.

    The R-26 backbone contributes the profile's ``figure5_variants``; when the profile trains Table 3(e), R-50 and
    R-101 contribute its rows (single-task, multi-task, SEA). Δm is measured against the single-task networks of the
    deepest backbone trained (the paper uses R-101); ``delta_m_same`` against the same backbone's.
    """
    settings = settings_for(profile)
    rows = list(_rows([PROBED["pascal"]], settings.figure5_variants))
    if "3e" in settings.tables:
        rows += [r for r in TABLES["3e"].rows if r[0] != PROBED["pascal"]]
    df = run_rows(rows, "pascal", profile, seed, device, progress).drop(columns="probes")
    deepest = df["backbone"].iloc[-1]
    reference = df[(df["backbone"] == deepest) & (df["variant"] == "single")].iloc[0]
    tasks = list(DATASETS["pascal"].tasks)
    df["delta_m_same"] = df["delta_m"]
    df["delta_m"] = [delta_m(r[tasks].to_dict(), reference[tasks].to_dict(), HIGHER_IS_BETTER) for _, r in df.iterrows()]
    df["reference"] = f"{deepest} single-task"
    return df


# ----------------------------------------------------------------------------------------------------------
# Audit of the published Δm
# ----------------------------------------------------------------------------------------------------------

AUDITED = ("04_table3b_modulation", "04_table3c_se_placement", "04_table3d_adversarial", "04_table3e_backbones",
           "04_table4a_nyud", "04_table4b_fsv", "04_table5a_nyud_backbones", "04_table5b_fsv_backbones",
           "04_table6a_ubernet_pascal", "04_table6b_ubernet_nyud", "04_table6c_ubernet_fsv", "04_table7_mobilenet")


def rounding_interval(text: str) -> tuple[float, float]:
    """The interval of true values a printed number could have been rounded from: ``"14.90"`` -> [14.895, 14.905]."""
    value = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    half = 0.5 * 10.0**-decimals
    return value - half, value + half


def drop_interval(method: str, baseline: str, higher_is_better: bool) -> tuple[float, float]:
    """Range of one task's relative drop (in %) over the rounding intervals of the two printed values."""
    return _drop_bounds(rounding_interval(method), rounding_interval(baseline), higher_is_better)


def _drop_bounds(method: tuple[float, float], baseline: tuple[float, float], higher_is_better: bool
                 ) -> tuple[float, float]:
    (m_lo, m_hi), (b_lo, b_hi) = method, baseline
    sign = -1.0 if higher_is_better else 1.0
    corners = [sign * (m - b) / b * 100.0 for m in (m_lo, m_hi) for b in (b_lo, b_hi)]
    return min(corners), max(corners)


def delta_m_interval(
    method: Mapping[str, str], baseline: Mapping[str, str], higher_is_better: Mapping[str, bool],
) -> tuple[float, float]:
    """Interval of Δm (Eq. 4 as a drop, %) consistent with printed, rounded ``method`` and ``baseline`` values.

    Each task's drop is monotone in its two values, and tasks are independent, so the bounds are the means of
    the per-task bounds (attained at corners of the rounding boxes)."""
    return _delta_m_bounds({t: rounding_interval(v) for t, v in method.items()},
                           {t: rounding_interval(v) for t, v in baseline.items()}, higher_is_better)


def _delta_m_bounds(method: Mapping[str, tuple[float, float]], baseline: Mapping[str, tuple[float, float]],
                    higher_is_better: Mapping[str, bool]) -> tuple[float, float]:
    bounds = [_drop_bounds(method[t], baseline[t], higher_is_better[t]) for t in method]
    return float(np.mean([b[0] for b in bounds])), float(np.mean([b[1] for b in bounds]))


def shared_intervals() -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """``{(dataset, backbone, variant, task): (low, high)}``: the values every printing of the same model's metric
    allows (the intersection of the rounding intervals of its cells in all transcribed tables of its dataset, e.g.
    NYUD R-26 normals printed 24.316 in Table 5(a) and elsewhere to two decimals)."""
    printed: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for spec in TABLES.values():
        text = published.load(spec.published, as_text=True)
        for _, row in text.iterrows():
            for task in (c for c in text.columns if c in HIGHER_IS_BETTER and row[c]):
                key = (spec.dataset, row["backbone"], _published_variant(row), task)
                printed.setdefault(key, []).append(rounding_interval(row[task]))
    found = {}
    for key, intervals in printed.items():
        lo, hi = max(i[0] for i in intervals), min(i[1] for i in intervals)
        # Printings that contradict each other (no common value; e.g. the paper's own NYUD R-50 SEA row is 32.16 in
        # Table 4(a) and 32.20 in Table 6(b)) allow whatever either allows.
        found[key] = (lo, hi) if lo <= hi else (min(i[0] for i in intervals), max(i[1] for i in intervals))
    return found


def audit_published(names: Sequence[str] = AUDITED) -> pd.DataFrame:
    """Recompute every printed Δm from the printed metrics of its table (Eq. 4, same-backbone baseline).

    Columns: table, backbone, variant, printed (Δm as printed), recomputed (from the printed values), low/high (the
    interval that every printing of the two models' metrics allows, :func:`shared_intervals`), consistent (the
    printed Δm, itself rounded, meets the interval), and ``matching_subset``: when inconsistent, the task subsets whose mean drop would be consistent.
    Rows whose baseline cells were lost in the text are reported with ``consistent`` empty.
    """
    records = []
    shared = shared_intervals()
    dataset_of = {spec.published: spec.dataset for spec in TABLES.values()}
    for name in names:
        text = published.load(name, as_text=True)
        text["variant"] = [_published_variant(r) for _, r in text.iterrows()]
        tasks = [c for c in text.columns if c in HIGHER_IS_BETTER]
        for _, row in text.iterrows():
            if not row["delta_m"] or row["variant"] == "single":
                continue
            base_rows = text[(text["backbone"] == row["backbone"]) & (text["variant"] == "single")]
            record = {"table": name.removeprefix("04_"), "backbone": row["backbone"], "variant": row["variant"],
                      "printed": float(row["delta_m"])}
            if base_rows.empty or any(not base_rows.iloc[0][t] for t in tasks):
                records.append({**record, "recomputed": np.nan, "low": np.nan, "high": np.nan, "consistent": None,
                                "matching_subset": "baseline lost in the text"})
                continue
            base = base_rows.iloc[0]
            method = {t: row[t] for t in tasks}
            baseline = {t: base[t] for t in tasks}
            cells = {v: {t: shared[(dataset_of[name], row["backbone"], v, t)] for t in tasks}
                     for v in (row["variant"], "single")}
            low, high = _delta_m_bounds(cells[row["variant"]], cells["single"], HIGHER_IS_BETTER)
            p_lo, p_hi = rounding_interval(row["delta_m"])
            consistent = p_hi >= low and p_lo <= high
            subsets = ""
            if not consistent:
                found = []
                for k in range(1, len(tasks)):
                    for subset in combinations(tasks, k):
                        s_lo, s_hi = delta_m_interval({t: method[t] for t in subset}, baseline, HIGHER_IS_BETTER)
                        if p_hi >= s_lo and p_lo <= s_hi:
                            found.append("+".join(subset))
                subsets = "; ".join(found) if found else "none"
            recomputed = delta_m({t: float(v) for t, v in method.items()}, {t: float(v) for t, v in baseline.items()},
                                 HIGHER_IS_BETTER)
            records.append({**record, "recomputed": recomputed, "low": low, "high": high, "consistent": consistent,
                            "matching_subset": subsets})
    return pd.DataFrame(records)


# ----------------------------------------------------------------------------------------------------------
# Δm of table rows, and of the seeded rows of the decisive comparisons
# ----------------------------------------------------------------------------------------------------------


def row_delta(table: pd.DataFrame, source: str, backbone: str, variant: str, reference: str | None = None) -> float:
    """Δm of a row of a :func:`run_table` result: as listed, or recomputed against the ``reference`` variant's row
    (same backbone and source) over the task columns both have; NaN when a row or value is missing."""
    rows = table_rows(table, source)
    if (backbone, variant) not in rows or (reference is not None and (backbone, reference) not in rows):
        return float("nan")
    row = rows[(backbone, variant)]
    if reference is None:
        return float(row["delta_m"])
    base = rows[(backbone, reference)]
    tasks = [t for t in HIGHER_IS_BETTER if t in row and not pd.isna(row[t]) and not pd.isna(base[t])]
    if not tasks:
        return float("nan")
    return delta_m({t: float(row[t]) for t in tasks}, {t: float(base[t]) for t in tasks}, HIGHER_IS_BETTER)


SEEDED = ("pascal", "R-26", ("multi", "se_adv"))
"""The rows trained over :func:`~paper_mtl.profiles.decisive_seeds` seeds: (dataset, backbone, variants). The seeds
go to the paper's central comparison only, SEA against the multi-task baseline on PASCAL (Tables 3(d), 3(e) R-26):
two more trainings of each at quick cost about 90 s (the budget holds no more); the other variants train one seed,
so their comparisons read *within noise*."""


def seeded_rows(profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """The :data:`SEEDED` rows at each of ``seed_list(seed, decisive_seeds(profile))``: one row per (seed, variant)
    with the task metrics and ``delta_m`` against the single-task networks of ``seed`` (one reference for every
    seed, so a paired difference of two variants' Δm is a difference of their metrics; the reference's own seed
    noise is not in the intervals). Seed ``seed`` is the table's own run (cached; only it is probed)."""
    dataset, backbone, variants = SEEDED
    settings = settings_for(profile)
    device = str(resolve_device(device))
    source = data_source(dataset)
    tasks = list(DATASETS[dataset].tasks)
    reference = run_rows(_rows([backbone], ["single"]), dataset, profile, seed, device, progress).iloc[0]
    base = {t: float(reference[t]) for t in tasks}
    configs = [{**c, "probes": c["probes"] and s == seed}
               for s in seed_list(seed, decisive_seeds(profile)) for v in variants
               for c in row_configs(settings, dataset, backbone, "deeplab", v, s, device, source)]
    results = run_sweep(train_row, configs, SWEEP, progress=progress)
    return pd.DataFrame([{"seed": c["seed"], "backbone": backbone, "variant": c["variant"], **r["metric"],
                          "delta_m": delta_m(r["metric"], base, HIGHER_IS_BETTER)} for c, r in zip(configs, results)])


def seeded_summary(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean ± s.e. over seeds of each seeded variant's metrics and Δm (how the notebook shows them)."""
    columns = [c for c in seeds.columns if c not in ("seed", "backbone", "variant")]
    return pd.DataFrame([{"backbone": b, "variant": v, "seeds": len(part),
                          **{c: format_mean_se(part[c].to_numpy()) for c in columns}}
                         for (b, v), part in seeds.groupby(["backbone", "variant"], sort=False)])


def probes_of(table: pd.DataFrame, variant: str) -> dict[str, Any]:
    """The probes of our ``variant`` row of a :func:`run_rows` result."""
    row = table[table["variant"] == variant]
    if row.empty or row.iloc[0]["probes"] is None:
        raise ValueError(f"no probes for variant {variant!r}: probed rows are {list(table['variant'][table['probes'].notna()])}")
    return row.iloc[0]["probes"]


def probe_rows(dataset: str, profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """The probed rows (MT and SEA, backbone :data:`PROBED`) of ``dataset``, with their Δm and probes."""
    check_choice("dataset", dataset, PROBED)
    return run_rows(_rows([PROBED[dataset]], ["multi", "se_adv"]), dataset, profile, seed, device, progress)


def profile_tables() -> pd.DataFrame:
    """Which tables each profile trains (stated in the notebook)."""
    return pd.DataFrame([{"table": name, "title": TABLES[name].title,
                          **{p: name in SETTINGS[p].tables for p in SETTINGS}} for name in ALL_TABLES])


def display_kinds(dataset: str, source: str | None = None) -> dict[str, tuple[str, int]]:
    """How each task of ``dataset`` (from ``source``, default :func:`data_source`) is drawn in Figs. 7-8:
    (``label`` | ``binary`` | ``normal`` | ``rgb`` | ``map``, number of classes)."""
    kinds = {}
    for name, task in dataset_tasks(dataset, source).items():
        if task.is_classification:
            kinds[name] = ("label", task.channels)
        elif task.loss == "balanced_bce":
            kinds[name] = ("binary", 1)
        else:
            kinds[name] = ({"norm": "normal", "albedo": "rgb"}.get(name, "map"), 1)
    return kinds
