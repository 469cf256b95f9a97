"""Data of notebook 04: the procedural stand-ins of the paper's datasets, the prepared real datasets that replace
them (PASCAL-Context, NYUv2), each dataset's tasks and the train/validation splits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paper_mtl.data.edges import label_edges
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import NYUV2_NAMES, first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import part_classes, render
from paper_mtl.data.store import load_split
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import EDGE, GRADIENT_DEPTH, UNIT_NORMAL, Task, get_task

from paper_mtl.experiments.single_tasking.config import EDGE_THRESHOLD, FSV_CLASSES

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


def column_task(column: str, classes: Mapping[str, int]) -> Task:
    """The task of table column ``column`` (Appendix D); ``classes`` gives the label columns' class counts."""
    if column == "seg":
        return get_task("segment_semantic", classes=classes["seg"])
    if column == "parts":
        return get_task("parts", classes=classes["parts"])
    fixed = {"edge": EDGE, "norm": UNIT_NORMAL, "depth": GRADIENT_DEPTH, "albedo": get_task("albedo"),
             "sal": get_task("saliency", channels=1, loss="balanced_bce", metric="max_f")}
    if column not in fixed:
        raise ValueError(f"unknown table column {column!r}; expected one of {['seg', 'parts', *fixed]}")
    return fixed[column]


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
    return {t: column_task(t, classes) for t in spec.tasks}


HIGHER_IS_BETTER: dict[str, bool] = {column: task.higher_is_better for name in DATASETS
                                     for column, task in dataset_tasks(name, procedural_source(name)).items()}
"""Each table column's direction, as its task's metric declares it (:attr:`~paper_mtl.tasks.Task.higher_is_better`)."""


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
    Laplacian of the label map (:func:`~paper_mtl.data.edges.label_edges`), ignored pixels (-1)
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
