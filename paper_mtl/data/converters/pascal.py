"""PASCAL-Context multi-task converter (the ``PASCAL_MT`` layout of Maninis et al., CVPR 2019; paper 04).

Layout read (facebookresearch/astmt, ``fblib/dataloaders/pascal_context.py``)::

    JPEGImages/<id>.jpg                    images
    ImageSets/Context/{train,val}.txt      image ids of each split
    pascal-context/trainval/<id>.mat       'LabelMap': the 459-class PASCAL-Context labels
    semseg/VOC12/<id>.png  or  semseg/pascal-context/<id>.png     21-class semantic labels (255 = ignore)
    human_parts/<id>.mat                   'anno': PASCAL-Part objects with their part masks
    normals_distill/<id>.png               distilled normals, 8-bit, 2·x/255 − 1
    sal_distill/<id>.png                   distilled saliency, 8-bit, > 0.5·255 is salient

Targets, as astmt builds them:

- ``edge_texture`` (binary (1, H, W)): pixels where the Laplacian of LabelMap (3×3 cross kernel, reflected
  border) is non-zero, thinned to one pixel (:func:`~paper_mtl.data.edges.label_edges`, the Lam–Lee–Suen
  algorithm of ``skimage.morphology.thin`` that astmt calls).
- ``segment_semantic`` (int64): the semseg PNG, 255 → -1.
- ``parts`` (int64): human parts of all person objects (category 15) grouped into ``num_human_parts`` classes
  (:data:`HUMAN_PARTS`), 0 = background; an image with no part pixel is ignored whole (-1), as astmt's
  ``AddIgnoreRegions`` does.
- ``normal`` ((3, H, W)): the distilled normals kept only on PASCAL-Context classes that also exist in NYUv2
  (:data:`NORMAL_VALID_CLASSES`), 0 elsewhere; unlike astmt, valid vectors are rescaled to unit length.
- ``saliency`` (int64 {0, 1}): the distilled map thresholded at 0.5.

Images have different sizes; all arrays are resized to ``size`` (astmt trains at 512×512): bilinear for the
image, nearest for labels and edges, renormalised bilinear for normals (astmt uses bicubic for images and
normals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from paper_mtl.data.converters._common import (
    DatasetBuilder,
    PathLike,
    load_mat,
    read_image,
    read_rgb,
    require_dir,
    require_file,
    unit_normals,
)
from paper_mtl.data.edges import label_edges
from paper_mtl.data.readers import as_size, resize
from paper_mtl.progress import progress_bar

PASCAL_TASKS = ("edge_texture", "segment_semantic", "parts", "normal", "saliency")
PASCAL_SPLITS = ("train", "val")
PERSON_CATEGORY = 15
VOC_CLASSES = 21
# astmt PASCALContext.HUMAN_PART: PASCAL-Part person part name -> class id, for 1, 4, 6 or 14 part classes.
_PART_NAMES = (
    "hair",
    "head",
    "lear",
    "lebrow",
    "leye",
    "lfoot",
    "lhand",
    "llarm",
    "llleg",
    "luarm",
    "luleg",
    "mouth",
    "neck",
    "nose",
    "rear",
    "rebrow",
    "reye",
    "rfoot",
    "rhand",
    "rlarm",
    "rlleg",
    "ruarm",
    "ruleg",
    "torso",
)
HUMAN_PARTS: dict[int, dict[str, int]] = {
    1: dict.fromkeys(_PART_NAMES, 1),
    4: dict(zip(_PART_NAMES, (1, 1, 1, 1, 1, 4, 3, 3, 4, 3, 4, 1, 2, 1, 1, 1, 1, 4, 3, 3, 4, 3, 4, 2), strict=True)),
    6: dict(zip(_PART_NAMES, (1, 1, 1, 1, 1, 6, 4, 4, 6, 3, 5, 1, 2, 1, 1, 1, 1, 6, 4, 4, 6, 3, 5, 2), strict=True)),
    14: dict(
        zip(_PART_NAMES, (1, 1, 1, 1, 1, 14, 8, 7, 13, 6, 12, 1, 2, 1, 1, 1, 1, 11, 5, 4, 10, 3, 9, 2), strict=True)
    ),
}
# PASCAL-Context ids (context_classes.json) of the class names also in NYUv2's 894 (nyu_classes.json), 'unknown'
# excluded, plus tvmonitor (427): astmt's `normals_valid_classes`, on which distilled normals are trusted.
NORMAL_VALID_CLASSES = frozenset((
    3, 4, 6, 9, 10, 11, 13, 15, 17, 18, 22, 23, 29, 30, 33, 34, 36, 37, 38, 39, 41, 43, 46, 49, 50, 51, 53, 55, 56,
    59, 61, 62, 65, 66, 68, 69, 72, 73, 78, 83, 84, 85, 87, 88, 95, 96, 101, 104, 105, 107, 111, 113, 115, 122, 124,
    135, 141, 142, 143, 146, 150, 154, 157, 158, 159, 165, 172, 174, 181, 183, 184, 191, 193, 195, 197, 199, 202,
    213, 215, 216, 219, 220, 223, 225, 228, 230, 232, 233, 238, 239, 242, 243, 246, 250, 251, 252, 255, 260, 261,
    263, 269, 272, 273, 275, 281, 283, 284, 285, 286, 287, 288, 290, 291, 292, 293, 295, 304, 307, 309, 310, 314,
    315, 319, 323, 329, 330, 331, 336, 342, 345, 349, 350, 351, 352, 355, 357, 368, 370, 371, 374, 379, 380, 383,
    384, 397, 401, 403, 405, 407, 408, 411, 412, 413, 414, 417, 419, 421, 423, 427, 429, 430, 432, 440, 441, 442,
    443, 444, 446, 454, 457,
))  # fmt: skip


def _mat_array(value: Any) -> np.ndarray:
    return np.atleast_1d(np.squeeze(np.asarray(value)))


def human_parts(anno_path: Path, shape: tuple[int, int], num_parts: int) -> np.ndarray:
    """Part ids (H, W) of every person with parts in a PASCAL-Part ``anno`` file; -1 everywhere if none."""
    what = "a PASCAL-Part annotation with 'anno' (objects with class_ind, mask and parts)"
    mat = load_mat(anno_path, what)
    mapping = HUMAN_PARTS[num_parts]
    try:
        objects = _mat_array(mat["anno"][0, 0][1][0]) if mat["anno"][0, 0][1].size else []
        target = np.zeros(shape, dtype=np.int64)
        for obj in objects:
            if int(_mat_array(obj[1])[0]) != PERSON_CATEGORY or np.asarray(obj[3]).size == 0:
                continue
            for part in _mat_array(np.asarray(obj[3])[0]):
                part_name = str(_mat_array(part[0])[0])
                mask = np.asarray(part[1]).astype(bool)
                if mask.shape != shape:
                    raise ValueError(f"{anno_path}: part mask of shape {mask.shape}, the image is {shape}")
                if part_name not in mapping:
                    raise ValueError(f"{anno_path}: unknown person part {part_name!r}; known parts: {sorted(mapping)}")
                target[mask] = mapping[part_name]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"{anno_path} is not laid out as expected: expected {what} ({exc!r})") from exc
    return target if target.any() else np.full(shape, -1, dtype=np.int64)


def _semseg_path(src: Path, image_id: str) -> Path:
    for folder in ("VOC12", "pascal-context"):
        path = src / "semseg" / folder / f"{image_id}.png"
        if path.is_file():
            return path
    return require_file(
        src / "semseg" / "VOC12" / f"{image_id}.png",
        "the semantic label PNG (semseg/VOC12/<id>.png or semseg/pascal-context/<id>.png)",
    )


def _label_map(src: Path, image_id: str, shape: tuple[int, int]) -> np.ndarray:
    path = src / "pascal-context" / "trainval" / f"{image_id}.mat"
    mat = load_mat(path, "a PASCAL-Context 'LabelMap'")
    if "LabelMap" not in mat or mat["LabelMap"].shape != shape:
        found = mat["LabelMap"].shape if "LabelMap" in mat else "no LabelMap"
        raise ValueError(f"{path}: found {found}, expected a 'LabelMap' of the image's shape {shape}")
    return mat["LabelMap"]


def decode_sample(src: Path, image_id: str, tasks: tuple[str, ...], num_parts: int) -> dict[str, np.ndarray]:
    """All targets of one image at its native size, in the project's layout."""
    image = read_rgb(src / "JPEGImages" / f"{image_id}.jpg", "a PASCAL JPEG image")
    shape = image.shape[:2]
    out: dict[str, np.ndarray] = {"rgb": image.transpose(2, 0, 1)}
    label_map = _label_map(src, image_id, shape) if {"edge_texture", "normal"} & set(tasks) else None
    if "edge_texture" in tasks:
        out["edge_texture"] = label_edges(label_map)[None].astype(np.float32)
    if "segment_semantic" in tasks:
        path = _semseg_path(src, image_id)
        seg = read_image(path, "an 8-bit semantic label PNG (ids 0..20, 255 = ignore)").astype(np.int64)
        if seg.shape != shape or not np.all((seg < VOC_CLASSES) | (seg == 255)):
            raise ValueError(
                f"{path}: expected ids 0..{VOC_CLASSES - 1} or 255 in an image of shape {shape}, got shape {seg.shape}"
            )
        out["segment_semantic"] = np.where(seg == 255, -1, seg)
    if "parts" in tasks:
        out["parts"] = human_parts(
            require_file(src / "human_parts" / f"{image_id}.mat", "a PASCAL-Part annotation"), shape, num_parts
        )
    if "normal" in tasks:
        path = src / "normals_distill" / f"{image_id}.png"
        raw = read_image(path, "an 8-bit RGB PNG of distilled normals")
        if raw.shape != (*shape, 3) or raw.dtype != np.uint8:
            raise ValueError(
                f"{path} has shape {raw.shape} and dtype {raw.dtype}: expected 8-bit RGB of the image's size {shape}"
            )
        valid = np.isin(label_map, list(NORMAL_VALID_CLASSES))
        out["normal"] = unit_normals(np.where(valid, raw.transpose(2, 0, 1) * (2.0 / 255.0) - 1.0, 0.0), min_norm=0.5)
    if "saliency" in tasks:
        path = src / "sal_distill" / f"{image_id}.png"
        sal = read_image(path, "an 8-bit grey PNG of distilled saliency")
        if sal.ndim == 3:
            sal = sal.mean(axis=2)
        if sal.shape != shape:
            raise ValueError(f"{path} has shape {sal.shape}: expected the image's size {shape}")
        out["saliency"] = (sal / 255.0 > 0.5).astype(np.int64)
    return out


def _split_ids(src: Path, split: str) -> list[str]:
    path = require_file(
        src / "ImageSets" / "Context" / f"{split}.txt", f"the image ids of the {split} split, one per line"
    )
    ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not ids:
        raise ValueError(f"{path} is empty: expected the image ids of the {split} split, one per line")
    return ids


def prepare_pascal(
    src: PathLike,
    root: PathLike | None = None,
    *,
    tasks: tuple[str, ...] | list[str] = PASCAL_TASKS,
    size: int | tuple[int, int] = 512,
    num_human_parts: int = 6,
    splits: tuple[str, ...] | list[str] = PASCAL_SPLITS,
    limit: int | None = None,
    name: str = "pascal_mt",
) -> Path:
    """Convert the PASCAL_MT folder layout into dataset ``name`` (splits ``train``/``val`` by default).

    ``tasks``: any of :data:`PASCAL_TASKS`; ``size``: output (height, width) or side; ``num_human_parts``:
    1, 4, 6 (astmt's default) or 14 part classes; ``limit``: convert only the first ``limit`` ids per split.
    """
    tasks = tuple(tasks)
    unknown = [t for t in tasks if t not in PASCAL_TASKS]
    if unknown or not tasks:
        raise ValueError(f"unknown or no PASCAL task(s) {unknown or tasks}; valid: {PASCAL_TASKS}")
    if num_human_parts not in HUMAN_PARTS:
        raise ValueError(f"num_human_parts must be one of {sorted(HUMAN_PARTS)}, got {num_human_parts}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of images or None, got {limit}")
    src = require_dir(src, "the PASCAL_MT root (JPEGImages/, ImageSets/Context/, ...)")
    out_hw = as_size(size)
    task_meta: dict[str, dict[str, Any]] = {
        "edge_texture": {"kind": "binary", "source": "thinned Laplacian of the PASCAL-Context LabelMap"},
        "segment_semantic": {
            "kind": "classes",
            "num_classes": VOC_CLASSES,
            "ignore_index": -1,
            "classes": "PASCAL VOC 21 classes (background included)",
        },
        "parts": {
            "kind": "classes",
            "num_classes": num_human_parts + 1,
            "ignore_index": -1,
            "classes": f"background + {num_human_parts} human parts; images without parts ignored",
        },
        "normal": {"kind": "normal", "source": "distilled normals on NYUv2-compatible PASCAL-Context classes"},
        "saliency": {"kind": "classes", "num_classes": 2, "ignore_index": -1, "source": "distilled saliency > 0.5"},
    }
    layouts = {
        "rgb": (3, np.uint8),
        "edge_texture": (1, np.float32),
        "segment_semantic": (0, np.int64),
        "parts": (0, np.int64),
        "normal": (3, np.float32),
        "saliency": (0, np.int64),
    }
    kinds = {"rgb": "image", **{t: task_meta[t]["kind"] for t in tasks}}
    with DatasetBuilder(name, root) as builder:
        for split in splits:
            ids = _split_ids(src, split)[:limit]
            arrays = {}
            for key in ("rgb", *tasks):
                channels, dtype = layouts[key]
                shape = (len(ids), *out_hw) if channels == 0 else (len(ids), channels, *out_hw)
                arrays[key] = builder.scratch(shape, dtype)
            for i, image_id in enumerate(progress_bar(ids, desc=f"PASCAL {split}", leave=False)):
                for key, value in decode_sample(src, image_id, tasks, num_human_parts).items():
                    arrays[key][i] = resize(value[None], out_hw, kinds[key])[0]
            builder.save(
                split,
                arrays,
                {
                    "source": str(src),
                    "format": "PASCAL_MT (astmt)",
                    "ids": ids,
                    "tasks": {t: task_meta[t] for t in tasks},
                },
            )
    return builder.target
