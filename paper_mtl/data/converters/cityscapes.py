"""Cityscapes (Cordts et al., CVPR 2016) converter for the preprocessed 128×256 layout of multi-task code.

MTAN (lorenmt/mtan) released Cityscapes as ``{train,val}/image/<i>.npy`` (H, W, 3) floats in [0, 1],
``{train,val}/label_2|label_7|label_19/<i>.npy`` (H, W) class ids with -1 = ignore, and
``{train,val}/depth/<i>.npy`` (H, W, 1) inverse depth (disparity-derived) with 0 = invalid; LibMTL
(``examples/cityscapes/create_dataset.py``) reads the same files with the 7-class labels in ``label/``. Their
``val`` split serves as the test set and is written as ``test``. The depth target keeps MTAN's values (not
metres) under the task name ``depth_zbuffer``; the manifest says so.
"""

from __future__ import annotations

from pathlib import Path

from paper_mtl.data.converters._common import DatasetBuilder, PathLike, require_dir
from paper_mtl.data.converters.nyuv2 import MTAN_SPLITS, check_labels, read_mtan_split

CITYSCAPES_CLASSES = (2, 7, 19)


def prepare_cityscapes(
    src: PathLike, root: PathLike | None = None, *, classes: int = 7, name: str | None = None
) -> Path:
    """Convert the MTAN/LibMTL Cityscapes ``.npy`` layout into dataset ``name`` (default ``cityscapes<classes>``)
    with splits ``train`` and ``test`` (their ``val``), tasks ``segment_semantic`` and ``depth_zbuffer``.

    ``classes`` picks the label set (2, 7 or 19): labels are read from ``label_<classes>/``, or from ``label/``
    for 7 classes when only LibMTL's folder exists.
    """
    if classes not in CITYSCAPES_CLASSES:
        raise ValueError(f"classes must be one of {CITYSCAPES_CLASSES}, got {classes!r}")
    src = require_dir(src, "the MTAN/LibMTL Cityscapes directory with train/ and val/")
    name = name or f"cityscapes{classes}"
    with DatasetBuilder(name, root) as builder:
        for source_split, split in MTAN_SPLITS.items():
            split_src = require_dir(src / source_split, f"the MTAN Cityscapes {source_split} split")
            label_folder = f"label_{classes}"
            if not (split_src / label_folder).is_dir() and classes == 7 and (split_src / "label").is_dir():
                label_folder = "label"
            folders = {"rgb": "image", "segment_semantic": label_folder, "depth_zbuffer": "depth"}
            arrays = read_mtan_split(split_src, folders, builder)
            check_labels(arrays["segment_semantic"], classes, split_src / label_folder)
            meta = {
                "source": str(src),
                "format": "MTAN/LibMTL preprocessed Cityscapes (.npy per sample)",
                "source_split": source_split,
                "tasks": {
                    "segment_semantic": {
                        "kind": "classes",
                        "num_classes": classes,
                        "ignore_index": -1,
                        "classes": f"Cityscapes {classes}-class grouping ({label_folder}/)",
                    },
                    "depth_zbuffer": {
                        "kind": "depth",
                        "units": "MTAN inverse depth (disparity-derived), not metres",
                        "invalid": 0,
                    },
                },
            }
            builder.save(split, arrays, meta)
    return builder.target
