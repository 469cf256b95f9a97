"""Notebook 01's data: the eleven tasks and their losses, target scaling and standardisation, the source
(procedural indoor scenes, a prepared Taskonomy or Cityscapes), its task letters and loading, and the notebook's
settings table."""

from __future__ import annotations

import math
from dataclasses import asdict
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import TASKONOMY_SEGMENT_CLASSES, first_prepared, load_prepared, prepared_splits
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.data.store import data_root, load_split
from paper_mtl.experiments.robustness.config import (
    CITYSCAPES_LETTERS,
    CITYSCAPES_NAMES,
    MASKED_LETTERS,
    SOURCES,
    TASK_LETTERS,
    RobustnessSettings,
)
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task, get_task


_DEPTH_SCALE = math.log(2.0**16)


def masked_letters(source: str) -> str:
    """The letters whose all-zero targets are missing values on ``source``: :data:`MASKED_LETTERS` on Taskonomy,
    depth on Cityscapes (invalid disparity), none on the scenes."""
    check_choice("source", source, SOURCES)
    if source == "taskonomy":
        return MASKED_LETTERS
    return "d" if source in CITYSCAPES_NAMES else ""


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
            "num_classes", TASKONOMY_SEGMENT_CLASSES)
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


def settings_table(settings: RobustnessSettings) -> pd.DataFrame:
    """The profile's sizes as a two-column table for the notebook, after rows naming the data the experiments train
    on (``data``: :func:`scene_source`) and Algorithm 1's (:func:`algorithm1_source`)."""
    rows = [{"setting": "data", "value": scene_source()}, {"setting": "Algorithm 1 data", "value": algorithm1_source()}]
    return pd.DataFrame(rows + [{"setting": k, "value": str(v)} for k, v in asdict(settings).items()])
