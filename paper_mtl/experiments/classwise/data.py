"""Notebook 02's data: each dataset's source (the procedural stand-in or a prepared real dataset,
:func:`data_source`), T_s's class names (:func:`class_names`), the (train, val) splits (:func:`dataset`) and the
tasks (:func:`tasks_of`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.data.store import load_split
from paper_mtl.experiments.classwise.config import DATASETS, DEPTH, PROCEDURAL, SEG, DatasetSpec, settings
from paper_mtl.profiles import check_choice, resolve_device
from paper_mtl.tasks import get_tasks


def split_sizes(n_images: int, split: tuple[int, int]) -> tuple[int, int]:
    """(train, val) counts of ``n_images`` in the proportion ``split``, at least 8 validation images."""
    n_val = max(8, round(n_images * split[1] / sum(split)))
    return n_images - n_val, n_val


def data_source(name: str) -> str:
    """Where dataset ``name``'s images come from: the first of its :attr:`DatasetSpec.prepared` datasets whose
    ``train`` and ``test`` splits are prepared (under ``$PAPER_MTL_DATA``), else :data:`PROCEDURAL`."""
    check_choice("dataset", name, DATASETS)
    return first_prepared(DATASETS[name].prepared, ("train", "test")) or PROCEDURAL


def data_sources() -> dict[str, str]:
    """:func:`data_source` of every dataset of :data:`DATASETS`."""
    return {name: data_source(name) for name in DATASETS}


def manifest_class_names(meta: Mapping[str, Any]) -> list[str]:
    """T_s's class names from a prepared split's manifest ``meta``: the list under ``tasks.segment_semantic``'s
    ``class_names`` (or ``classes`` where that is a list rather than a description), else the class ids ``0`` …
    ``num_classes - 1`` as :class:`~paper_mtl.weighting.classwise.ClasswiseWeighting` names them by default."""
    seg = meta.get("tasks", {}).get(SEG, {})
    count = seg.get("num_classes")
    for key in ("class_names", "classes"):
        names = seg.get(key)
        if isinstance(names, list | tuple):
            if count is not None and len(names) != int(count):
                raise ValueError(f"the manifest lists {len(names)} {SEG} {key} for num_classes = {count}")
            return [str(n) for n in names]
    if count is None:
        raise ValueError(f"the manifest gives neither num_classes nor class names for {SEG}: {dict(seg)}")
    return [str(c) for c in range(int(count))]


def class_names(name: str, source: str | None = None) -> list[str]:
    """T_s's class names of dataset ``name`` read from ``source`` (default :func:`data_source`): the scene
    family's for :data:`PROCEDURAL`, else the prepared dataset's manifest's (:func:`manifest_class_names`)."""
    check_choice("dataset", name, DATASETS)
    source = data_source(name) if source is None else source
    if source == PROCEDURAL:
        return scene_classes(DATASETS[name].family)
    check_choice("source", source, DATASETS[name].prepared)
    return manifest_class_names(load_split(source, "train")[1])


def _depth_target(z: np.ndarray, seg: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    if spec.depth == "inverse":
        return (1.0 / z).astype(np.float32)
    if spec.depth == "metres":
        return z.astype(np.float32)
    sky = np.asarray(seg == scene_classes(spec.family).index("sky"))[:, None]
    return np.where(sky, 0.0, z / 10.0).astype(np.float32)


@lru_cache(maxsize=9)
def _dataset(
    name: str, n_images: int, size: int, seed: int, device: str, source: str
) -> tuple[MultiTaskData, MultiTaskData]:
    spec = DATASETS[name]
    n_train, n_val = split_sizes(n_images, spec.split)
    if source != PROCEDURAL:
        check_choice("source", source, spec.prepared)
        meta = {"dataset": name, "source": source, "classes": class_names(name, source)}
        splits = []
        for split, limit in (("train", n_train), ("test", n_val)):
            data = load_prepared(source, split, [SEG, DEPTH], size=size, limit=limit)
            origin = {"origin": data.meta.get("source")}  # the converter's input, before "source" names ours
            splits.append(MultiTaskData(data.inputs, data.targets, {**data.meta, **origin, **meta}))
        return splits[0], splits[1]
    arrays = render(n_images, size=size, family=spec.family, seed=spec.seed + 1000 * seed, device=device)
    arrays = {"rgb": arrays["rgb"], SEG: arrays[SEG], DEPTH: _depth_target(arrays[DEPTH], arrays[SEG], spec)}
    meta = {"dataset": name, "source": PROCEDURAL, "classes": scene_classes(spec.family)}
    data = MultiTaskData.from_arrays(arrays, input_key="rgb", tasks=[SEG, DEPTH], meta=meta)
    return data.subset(slice(0, n_train)), data.subset(slice(n_train, n_images))


def dataset(name: str, profile: str, seed: int = 0, device: str | torch.device = "cpu") -> tuple[MultiTaskData, MultiTaskData]:
    """The (train, val) splits of dataset ``name`` (a key of :data:`DATASETS`) at ``profile``'s size: the prepared
    real dataset when present, else the stand-in (:func:`data_source`; ``meta["source"]`` says which,
    ``meta["classes"]`` names T_s's classes)."""
    check_choice("dataset", name, DATASETS)
    s = settings(profile)
    return _dataset(name, s.n_images, s.size, seed, resolve_device(device).type, data_source(name))


def tasks_of(name: str, source: str | None = None) -> dict[str, Any]:
    """T_s with the classes of dataset ``name`` read from ``source`` (default :func:`data_source`) and T_d."""
    return get_tasks([SEG, DEPTH], classes={SEG: len(class_names(name, source))})
