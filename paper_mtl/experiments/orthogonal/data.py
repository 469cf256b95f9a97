"""Notebook 05's data: the MultiDigit splits (Figure 1 and its split rule), the scene tasks and splits of Table 2
(prepared NYUv2 when present, else indoor scenes), and the constant-prediction baselines on them."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from paper_mtl.data.digits import digit_source, multidigit
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import NYUV2_NAMES, first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.experiments.orthogonal.config import SCENE_TASKS, settings
from paper_mtl.metrics import PixelErrorMetric
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task, get_task


# ----------------------------------------------------------------------------------------------------------
# MultiDigit (Sec. 4): Figure 1, Table 1, Figures 2-4
# ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _digits(sizes: tuple[int, int, int], size: int, seed: int, source: str) -> dict[str, MultiTaskData]:
    return multidigit(sizes=sizes, size=size, seed=seed, source=source)


def digit_data(profile: str, seed: int = 0) -> dict[str, MultiTaskData]:
    """The profile's MultiDigit splits (Figure 1 shows the training split), composed from MNIST when it is
    available, else from scikit-learn's digits (``meta["source"]`` says which)."""
    s = settings(profile)
    return _digits(tuple(s.digit_sizes), s.image_size, seed, digit_source())


def split_pairs(data: Mapping[str, MultiTaskData]) -> pd.DataFrame:
    """Figure 1's split rule: per split, its size and its (left, right) digit pairs, and whether every pair
    appears in that split only."""
    pairs = {split: {tuple(p) for p in d.meta["pairs"][split]} for split, d in data.items()}
    rows = []
    for split, own in pairs.items():
        others = set().union(*(p for s, p in pairs.items() if s != split))
        rows.append({"split": split, "images": len(data[split]), "pairs": " ".join(f"{a}{b}" for a, b in sorted(own)), "disjoint": not (own & others)})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# Scenes (Sec. 5.1): Table 2 analogue
# ----------------------------------------------------------------------------------------------------------


def scene_tasks(segmentation_classes: int) -> dict[str, Task]:
    """Paper 05's three NYUv2 tasks: segmentation (cross-entropy, mIoU), depth (MSE, RMSE), normals (MSE on
    unit-normalised predictions, 1 − |cos|)."""
    return {
        "segment_semantic": get_task("segment_semantic", classes=segmentation_classes),
        "depth_zbuffer": get_task("depth_zbuffer", loss="masked_mse", metric="rmse"),
        "normal": get_task("normal", loss="masked_mse", metric="one_minus_abs_cos"),
    }


def scene_source() -> str:
    """Table 2's data: the first prepared NYUv2 of :data:`~paper_mtl.data.readers.NYUV2_NAMES` with
    train and test splits, else ``"indoor scenes"``."""
    return first_prepared(NYUV2_NAMES, ("train", "test")) or "indoor scenes"


@lru_cache(maxsize=2)
def _scenes(
    n_train: int, n_test: int, target_size: int, seed: int, source: str
) -> tuple[MultiTaskData, MultiTaskData, int, str]:
    check_choice("source", source, (*NYUV2_NAMES, "indoor scenes"))
    if source != "indoor scenes":
        splits = []
        for split, limit in (("train", n_train), ("test", n_test)):
            images = load_prepared(source, split, list(SCENE_TASKS), size=4 * target_size, limit=limit)
            labels = load_prepared(source, split, list(SCENE_TASKS), size=target_size, limit=limit)
            splits.append(MultiTaskData(images.inputs, labels.targets, labels.meta))
        classes = int(splits[0].meta["tasks"]["segment_semantic"]["num_classes"])
        return splits[0], splits[1], classes, source
    n = n_train + n_test
    images = render(n, size=4 * target_size, family="indoor", seed=seed)["rgb"]
    labels = render(n, size=target_size, family="indoor", seed=seed)
    data = MultiTaskData(images, {t: labels[t] for t in SCENE_TASKS}, {"source": "indoor scenes"})
    return data.subset(slice(0, n_train)), data.subset(slice(n_train, n)), len(scene_classes("indoor")), "indoor scenes"


def scene_data(profile: str, seed: int = 0) -> tuple[MultiTaskData, MultiTaskData, int, str]:
    """Table 2's (train, test, segmentation classes, source): prepared NYUv2 when present, else indoor scenes."""
    s = settings(profile)
    return _scenes(s.scene_train, s.scene_test, s.target_size, seed, scene_source())


def mean_depth(train: MultiTaskData) -> float:
    """The training split's mean valid depth (pixels with depth > 0; 0 marks a missing NYUv2 depth)."""
    depth = np.asarray(train.targets["depth_zbuffer"], dtype=np.float64)
    return float(depth[np.isfinite(depth) & (depth > 0)].mean())


def mean_depth_rmse(profile: str, seed: int = 0) -> float:
    """Depth RMSE on the test split of predicting the training split's mean depth everywhere: the level below which
    a depth network has learned more than the mean."""
    train, test, _, _ = scene_data(profile, seed)
    depth = np.asarray(test.targets["depth_zbuffer"], dtype=np.float64)
    valid = depth[np.isfinite(depth) & (depth > 0)]
    return float(np.sqrt(np.mean((valid - mean_depth(train)) ** 2)))


def mean_normal_error(profile: str, seed: int = 0) -> float:
    """Normals 1 − |cos| on the test split of predicting the training split's mean normal everywhere: the level of a
    normals head that learned nothing but the average direction (missing pixels, all zeros, add nothing to it)."""
    train, test, _, _ = scene_data(profile, seed)
    mean = torch.as_tensor(np.asarray(train.targets["normal"], dtype=np.float32).sum(axis=(0, 2, 3)))
    target = torch.as_tensor(np.asarray(test.targets["normal"], dtype=np.float32))
    metric = PixelErrorMetric("one_minus_abs_cos")
    metric.update(mean.view(1, -1, 1, 1).expand_as(target), target)
    return metric.compute()
