"""Readers for real datasets prepared by :mod:`paper_mtl.data.converters` (NYUv2, Cityscapes, Taskonomy, PASCAL).

A prepared dataset holds the image as ``rgb`` uint8 (n, 3, H, W) and one array per task in the project's layout:

==================  ==========================  ==========================================================
kind                dtype, shape                meaning
==================  ==========================  ==========================================================
``classes``         int64 (n, H, W)             class ids, -1 = ignore (segment_semantic, parts, saliency)
``depth``           float32 (n, 1, H, W)        depth (units in the manifest), 0 = invalid
``normal``          float32 (n, 3, H, W)        unit vectors, all-zero = invalid
``binary``          float32 (n, 1, H, W)        {0, 1} maps (PASCAL edges)
``dense``           float32 (n, C, H, W)        any other dense target (Taskonomy edges, keypoints, ...)
==================  ==========================  ==========================================================

Each task's kind (and its classes, units, ...) is recorded in the split's manifest under ``meta["tasks"]``;
:func:`resize` uses it to pick the interpolation: nearest for ``classes``, ``depth`` and ``binary`` (so ids and
invalid zeros never blend), bilinear for ``dense`` and images, bilinear then renormalised for ``normal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.store import data_root, has_split, load_split

KINDS = ("image", "classes", "depth", "normal", "binary", "dense")
INPUT_KEY = "rgb"
_CHUNK = 64
NYUV2_NAMES = ("nyuv2", "nyuv2_mtan", "nyuv2_labeled")
"""Where the experiments look for a prepared NYUv2, in order: a dataset prepared with ``--name nyuv2``, then the
converters' defaults, the 13-class MTAN layout before the labeled set (whose raw 894 classes are kept without a
class map)."""
TASKONOMY_SEGMENT_CLASSES = 18
"""Class ids of a prepared Taskonomy's ``segment_semantic``, 0..17: Taskonomy's segmentsemantic ids 1..17 kept as
they are (its 0, unlabelled, becomes -1, so id 0 never occurs); the default when a manifest does not record
``num_classes``."""


def as_size(size: int | Sequence[int]) -> tuple[int, int]:
    """``size`` as a (height, width) pair of positive ints (an int means a square)."""
    pair = (int(size), int(size)) if isinstance(size, int | np.integer) else tuple(int(s) for s in size)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"size must be a positive int or a (height, width) pair, got {size!r}")
    return pair  # type: ignore[return-value]


def _resize_chunk(x: torch.Tensor, size: tuple[int, int], kind: str) -> torch.Tensor:
    if kind in ("classes", "depth", "binary"):
        return F.interpolate(x, size=size, mode="nearest")
    downsampling = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    smooth = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=downsampling)
    if kind != "normal":
        return smooth
    valid = F.interpolate((x.abs().sum(1, keepdim=True) > 0).float(), size=size, mode="nearest") > 0
    norm = smooth.norm(dim=1, keepdim=True)
    valid &= norm > 1e-6
    return torch.where(valid, smooth / norm.clamp_min(1e-6), torch.zeros_like(smooth))


def resize(array: np.ndarray, size: int | Sequence[int], kind: str) -> np.ndarray:
    """Resize a batch of images or task targets to ``size`` = (height, width), keeping dtype and layout.

    ``array`` is (n, C, H, W), or (n, H, W) for ``classes``; ``kind`` is one of :data:`KINDS`. Nearest for
    classes/depth/binary, bilinear (antialiased when shrinking) for image/dense, and for normals bilinear then
    rescaled to unit length, with pixels that are invalid under nearest sampling set to 0.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown target kind {kind!r}; valid kinds: {KINDS}")
    size = as_size(size)
    squeeze = kind == "classes"
    expected_ndim = 3 if squeeze else 4
    if array.ndim != expected_ndim:
        raise ValueError(f"a {kind!r} batch must have {expected_ndim} dimensions, got shape {array.shape}")
    if tuple(array.shape[-2:]) == size:
        return np.asarray(array)
    out = np.empty((*array.shape[:-2], *size), dtype=array.dtype)
    for start in range(0, len(array), _CHUNK):
        chunk = torch.from_numpy(np.array(array[start : start + _CHUNK], dtype=np.float32))
        if squeeze:
            chunk = chunk[:, None]
        resized = _resize_chunk(chunk, size, kind)
        if squeeze:
            resized = resized[:, 0]
        if kind == "image":
            resized = resized.round().clamp(0, 255)
        out[start : start + _CHUNK] = resized.numpy().astype(array.dtype)
    return out


def prepared_splits(name: str, root: str | Path | None = None) -> list[str]:
    """The splits of dataset ``name`` that have been prepared under ``root`` (sorted; empty if none)."""
    directory = Path(root or data_root()) / name
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith(".") and has_split(name, p.name, root))


def first_prepared(names: Sequence[str], splits: Sequence[str], root: str | Path | None = None) -> str | None:
    """The first dataset of ``names`` prepared with every split of ``splits`` (under ``root``), else ``None``: how
    the experiments decide between a real dataset and its procedural stand-in."""
    return next((name for name in names if set(splits) <= set(prepared_splits(name, root))), None)


def describe_prepared(name: str, root: str | Path | None = None) -> list[str]:
    """One line per prepared split of ``name``: its directory and each array's dtype and shape."""
    lines = []
    for split in prepared_splits(name, root):
        arrays, _ = load_split(name, split, root)
        shapes = ", ".join(f"{key} {arr.dtype.name}{list(arr.shape)}" for key, arr in arrays.items())
        lines.append(f"{Path(root or data_root()) / name / split}: {shapes}")
    return lines


def _target_kind(task: str, array: np.ndarray, meta: dict) -> str:
    kind = meta.get("tasks", {}).get(task, {}).get("kind")
    if kind is not None:
        return kind
    return "classes" if np.issubdtype(array.dtype, np.integer) else "dense"


def _read(array: np.ndarray, stop: int, size: int | Sequence[int] | None, kind: str) -> np.ndarray:
    """The first ``stop`` samples of a memory-mapped array as a writable in-memory array, resized when ``size`` is
    given; :func:`resize` reads the map chunk by chunk, so a full-resolution split is never held whole."""
    part = array[:stop] if size is None else resize(array[:stop], size, kind)
    return np.require(part, requirements="OWE")  # copies only what is still the map


def load_prepared(
    name: str,
    split: str,
    tasks: Sequence[str],
    root: str | Path | None = None,
    size: int | Sequence[int] | None = None,
    limit: int | None = None,
) -> MultiTaskData:
    """Load split ``split`` of prepared dataset ``name`` as :class:`MultiTaskData`.

    Inputs are float32 in [0, 1] of shape (n, 3, H, W); ``targets`` holds exactly ``tasks`` in the layout of the
    module docstring. ``size`` (an int or (height, width)) resizes inputs and targets (see :func:`resize`);
    ``limit`` keeps the first ``limit`` samples. ``meta`` is the split's manifest meta plus ``name``/``split``.
    Raises ``FileNotFoundError`` naming the prepared splits when ``split`` is missing and ``ValueError``
    naming the task and the available ones when a task was not prepared.
    """
    if not has_split(name, split, root):
        available = prepared_splits(name, root)
        where = Path(root or data_root()) / name
        raise FileNotFoundError(
            f"no prepared split {split!r} of dataset {name!r} under {where}; prepared splits: {available or 'none'} "
            f"(run the matching data_scripts/prepare_*.py converter)"
        )
    if isinstance(tasks, str):
        raise ValueError(f"tasks must be a sequence of task names, got the string {tasks!r}")
    arrays, meta = load_split(name, split, root)
    available_tasks = sorted(k for k in arrays if k != INPUT_KEY)
    for task in tasks:
        if task not in available_tasks:
            raise ValueError(
                f"task {task!r} is not in prepared dataset {name!r}/{split!r}; available: {available_tasks}"
            )
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of samples or None, got {limit}")
    stop = len(arrays[INPUT_KEY]) if limit is None else min(limit, len(arrays[INPUT_KEY]))
    rgb = _read(arrays[INPUT_KEY], stop, size, "image")
    targets = {task: _read(arrays[task], stop, size, _target_kind(task, arrays[task], meta)) for task in tasks}
    inputs = torch.from_numpy(rgb).float().div_(255.0)
    return MultiTaskData(
        inputs, {t: torch.from_numpy(v) for t, v in targets.items()}, {**meta, "name": name, "split": split}
    )
