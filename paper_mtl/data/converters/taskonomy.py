"""Taskonomy (Zamir et al., CVPR 2018) converter for the per-task PNG folders of its tiny split.

Layout read (as used by tstandley/taskgrouping ``taskonomy_loader.py`` and columbia/MTRobust
``dataloaders/datasets/taskonomy.py``): ``<src>/<task>/<building>/point_<p>_view_<v>_domain_<task>.png``, one
folder per task, the same (building, point, view) names in each; any extra directory level between the task
folder and the building (as in Omnidata's ``<task>/taskonomy/<building>/``) is accepted, and the semantic
folder may be called ``segment_semantic`` or ``segmentsemantic``.

Decoding, following the dataset's conventions and MTRobust's target transforms (ANCHORS, paper 01):

=====================  =====================  ==============================================================
task                   PNG                    written as
=====================  =====================  ==============================================================
rgb                    8-bit RGB              uint8 (3, H, W)
depth_zbuffer,         16-bit, 1/512 m        float32 (1, H, W) metres; values >= 64500 (MTRobust's mask
depth_euclidean                               threshold, 65535 marks no geometry) are invalid → 0
normal                 8-bit RGB, 127-centred float32 (3, H, W) = 2·x/255 − 1 rescaled to unit length; 0 where
                                              the decoded vector is shorter than 0.5 or the depth is invalid
segment_semantic       8-bit ids, 0 = none    int64 (H, W): ids 1..17 kept, 0 → -1 (ignore); 18 classes as
                                              in MTRobust's and taskgrouping's 18-way heads (0 never a target)
edge_texture,          16-bit                 float32 (1, H, W) = x / 65535 in [0, 1]
edge_occlusion,
keypoints2d,
keypoints3d
reshading              8-bit grey or RGB      float32 (1, H, W) = channel mean / 255
principal_curvature    8-bit RGB              float32 (2, H, W) = first two channels / 255 (zero curvature
                                              ≈ 127/255, the dataset's encoding)
=====================  =====================  ==============================================================

The paper-specific normalisations (MTRobust's log depth and [-1, 1] rescaling, taskgrouping's constants) are
left to the task losses. Train/test are building-disjoint: the sorted buildings are shuffled with ``seed`` and
``test_fraction`` of them (at least one) form the test split.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from paper_mtl.data.converters._common import DatasetBuilder, PathLike, read_image, require_dir, unit_normals
from paper_mtl.data.readers import TASKONOMY_SEGMENT_CLASSES, as_size, resize
from paper_mtl.progress import progress_bar

TASKONOMY_TASKS: dict[str, dict[str, Any]] = {
    "rgb": {"kind": "image", "channels": 3},
    "depth_zbuffer": {"kind": "depth", "channels": 1, "units": "m", "invalid": 0},
    "depth_euclidean": {"kind": "depth", "channels": 1, "units": "m", "invalid": 0},
    "normal": {"kind": "normal", "channels": 3, "frame": "Taskonomy's normal encoding, decoded as 2x/255 - 1"},
    "segment_semantic": {
        "kind": "classes",
        "channels": 0,
        "num_classes": TASKONOMY_SEGMENT_CLASSES,
        "ignore_index": -1,
        "classes": "Taskonomy segmentsemantic ids 1..17 (0 = unlabeled -> -1)",
    },
    "edge_texture": {"kind": "dense", "channels": 1, "encoding": "16-bit PNG / 65535"},
    "edge_occlusion": {"kind": "dense", "channels": 1, "encoding": "16-bit PNG / 65535"},
    "keypoints2d": {"kind": "dense", "channels": 1, "encoding": "16-bit PNG / 65535"},
    "keypoints3d": {"kind": "dense", "channels": 1, "encoding": "16-bit PNG / 65535"},
    "reshading": {"kind": "dense", "channels": 1, "encoding": "8-bit PNG channel mean / 255"},
    "principal_curvature": {
        "kind": "dense",
        "channels": 2,
        "encoding": "8-bit PNG channels 0-1 / 255 (zero ~ 127/255)",
    },
}
FOLDER_ALIASES: dict[str, tuple[str, ...]] = {"segment_semantic": ("segment_semantic", "segmentsemantic")}
DEPTH_SCALE = 512.0
DEPTH_INVALID_FROM = 64500
_NAME = re.compile(r"point_(\d+)_view_(\d+)_domain_(\w+)\.png$")

Key = tuple[str, int, int]


def _scan(src: Path, task: str) -> dict[Key, Path] | None:
    """``{(building, point, view): png}`` of one task folder, or None when the task has no folder."""
    for folder in FOLDER_ALIASES.get(task, (task,)):
        directory = src / folder
        if directory.is_dir():
            files: dict[Key, Path] = {}
            for path in directory.rglob("point_*_view_*_domain_*.png"):
                match = _NAME.search(path.name)
                if match:
                    files[(path.parent.name, int(match.group(1)), int(match.group(2)))] = path
            return files
    return None


def _expect_dtype(array: np.ndarray, dtype: type, path: Path, what: str) -> None:
    if array.dtype != dtype:
        raise ValueError(f"{path} decodes to {array.dtype}: expected {what}")


def decode(task: str, path: Path) -> np.ndarray:
    """Decode one Taskonomy PNG of ``task`` into the layout of the module docstring (full resolution)."""
    if task == "rgb":
        array = read_image(path, "an 8-bit RGB Taskonomy image")
        if array.ndim != 3:
            raise ValueError(f"{path} has shape {array.shape}: expected an 8-bit RGB Taskonomy image")
        return array.transpose(2, 0, 1)
    if task in ("depth_zbuffer", "depth_euclidean", "edge_texture", "edge_occlusion", "keypoints2d", "keypoints3d"):
        what = f"a 16-bit grey PNG of {task}"
        array = read_image(path, what)
        _expect_dtype(array, np.uint16, path, what)
        if array.ndim != 2:
            raise ValueError(f"{path} has shape {array.shape}: expected {what}")
        if task.startswith("depth"):
            return np.where(array >= DEPTH_INVALID_FROM, 0.0, array / DEPTH_SCALE).astype(np.float32)[None]
        return (array / 65535.0).astype(np.float32)[None]
    if task == "segment_semantic":
        what = "an 8-bit PNG of semantic ids"
        array = read_image(path, what)
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{path} has shape {array.shape} and dtype {array.dtype}: expected {what}")
        labels = array.astype(np.int64)
        return np.where(labels == 0, -1, labels)
    what = f"an 8-bit PNG of {task}"
    array = read_image(path, what)
    _expect_dtype(array, np.uint8, path, what)
    if task == "reshading":
        return (array.mean(axis=2) if array.ndim == 3 else array.astype(np.float64))[None].astype(np.float32) / 255.0
    if array.ndim != 3:
        raise ValueError(f"{path} has shape {array.shape}: expected an 8-bit RGB PNG of {task}")
    if task == "normal":
        return unit_normals(array.transpose(2, 0, 1) * (2.0 / 255.0) - 1.0, min_norm=0.5)
    return array[:, :, :2].transpose(2, 0, 1).astype(np.float32) / 255.0


def split_buildings(buildings: list[str], test_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Building-disjoint (train, test): sorted buildings shuffled with ``seed``; ``round(test_fraction·n)``
    of them (at least 1, at most n − 1) go to test. Both lists come back sorted."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    buildings = sorted(set(buildings))
    if len(buildings) < 2:
        raise ValueError(f"a building-disjoint split needs at least 2 buildings, found {buildings}")
    n_test = min(max(1, round(test_fraction * len(buildings))), len(buildings) - 1)
    order = np.random.default_rng(seed).permutation(len(buildings))
    test = sorted(buildings[i] for i in order[:n_test])
    return sorted(set(buildings) - set(test)), test


def prepare_taskonomy(
    src: PathLike,
    root: PathLike | None = None,
    *,
    tasks: list[str] | tuple[str, ...] | None = None,
    size: int | tuple[int, int] = 256,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_per_building: int | None = None,
    drop_incomplete: bool = False,
    name: str = "taskonomy",
) -> Path:
    """Convert Taskonomy per-task PNG folders into dataset ``name`` with building-disjoint ``train``/``test``.

    ``tasks``: the tasks to convert (default: every known task whose folder exists; see
    :data:`TASKONOMY_TASKS`). ``size``: output (height, width) or side (256 as in MTRobust and taskgrouping).
    ``max_per_building``: keep at most this many views per building (chosen with ``seed``). A view whose
    label file is missing for a requested task is an error naming the file, unless ``drop_incomplete`` (then it
    is skipped and counted in the manifest).
    """
    out_hw = as_size(size)
    if max_per_building is not None and max_per_building < 1:
        raise ValueError(f"max_per_building must be a positive number of views or None, got {max_per_building}")
    src = require_dir(src, "the Taskonomy root holding one folder per task (rgb/, depth_zbuffer/, ...)")
    unknown = [t for t in (tasks or []) if t not in TASKONOMY_TASKS or t == "rgb"]
    if unknown:
        raise ValueError(f"unknown Taskonomy task(s) {unknown}; valid: {[t for t in TASKONOMY_TASKS if t != 'rgb']}")
    rgb_files = _scan(src, "rgb")
    if not rgb_files:
        raise FileNotFoundError(
            f"no RGB images under {src / 'rgb'}: expected rgb/<building>/point_<p>_view_<v>_domain_rgb.png"
        )
    scans = {t: _scan(src, t) for t in TASKONOMY_TASKS if t != "rgb" and (tasks is None or t in tasks)}
    missing_folders = [t for t, files in scans.items() if files is None]
    if tasks is not None and missing_folders:
        raise FileNotFoundError(
            f"no folder for task(s) {missing_folders} under {src}: expected {src}/<task>/<building>/*.png"
        )
    chosen = [t for t, files in scans.items() if files is not None]
    if not chosen:
        raise FileNotFoundError(
            f"no task folder under {src}: expected some of {[t for t in TASKONOMY_TASKS if t != 'rgb']}"
        )

    keys = sorted(rgb_files)
    complete, dropped = [], 0
    for key in keys:
        absent = [t for t in chosen if key not in scans[t]]
        if not absent:
            complete.append(key)
        elif drop_incomplete:
            dropped += 1
        else:
            building, point, view = key
            expected = src / absent[0] / building / f"point_{point}_view_{view}_domain_{absent[0]}.png"
            raise FileNotFoundError(
                f"missing file {expected}: expected the {absent[0]} label of {rgb_files[key]} "
                "(pass drop_incomplete=True to skip views with missing labels)"
            )
    by_building: dict[str, list[Key]] = defaultdict(list)
    for key in complete:
        by_building[key[0]].append(key)
    train_buildings, test_buildings = split_buildings(list(by_building), test_fraction, seed)
    rng = np.random.default_rng(seed)
    if max_per_building is not None:
        for building, views in by_building.items():
            if len(views) > max_per_building:
                pick = np.sort(rng.choice(len(views), size=max_per_building, replace=False))
                by_building[building] = [views[i] for i in pick]

    meta: dict[str, Any] = {
        "source": str(src),
        "format": "Taskonomy per-task PNG folders",
        "tasks": {t: {k: v for k, v in TASKONOMY_TASKS[t].items() if k != "channels"} for t in chosen},
        "split": {
            "by": "building",
            "test_fraction": test_fraction,
            "seed": seed,
            "train_buildings": train_buildings,
            "test_buildings": test_buildings,
        },
        "dropped_incomplete_views": dropped,
        "max_per_building": max_per_building,
    }
    with DatasetBuilder(name, root) as builder:
        for split, buildings in (("train", train_buildings), ("test", test_buildings)):
            views = [key for b in buildings for key in by_building[b]]
            arrays = {"rgb": builder.scratch((len(views), 3, *out_hw), np.uint8)}
            for t in chosen:
                channels = TASKONOMY_TASKS[t]["channels"]
                shape = (len(views), *out_hw) if channels == 0 else (len(views), channels, *out_hw)
                arrays[t] = builder.scratch(shape, np.int64 if channels == 0 else np.float32)
            for i, key in enumerate(progress_bar(views, desc=f"Taskonomy {split}", leave=False)):
                decoded = {t: decode(t, (rgb_files if t == "rgb" else scans[t])[key]) for t in ["rgb", *chosen]}
                shapes = {t: a.shape[-2:] for t, a in decoded.items()}
                if len(set(shapes.values())) != 1:
                    raise ValueError(
                        f"the files of view {key} have different sizes {shapes}: expected one size per view"
                    )
                if "normal" in decoded:
                    for depth_task in ("depth_zbuffer", "depth_euclidean"):
                        if depth_task in decoded:
                            decoded["normal"] = decoded["normal"] * (decoded[depth_task] > 0)
                for t, value in decoded.items():
                    kind = TASKONOMY_TASKS[t]["kind"]
                    arrays[t][i] = resize(value[None], out_hw, kind)[0]
            builder.save(
                split,
                arrays,
                {**meta, "buildings": buildings, "views": [f"{b}/point_{p}_view_{v}" for b, p, v in views]},
            )
    return builder.target
