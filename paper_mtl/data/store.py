"""The on-disk format every dataset is prepared into, and its reader.

A prepared dataset lives in ``<data_root>/<name>/<split>/``: one ``<key>.npy`` per array (image or task target)
and a ``manifest.json`` recording each array's shape and dtype plus free-form provenance (source, classes, ...).
Splits are written into a temporary sibling directory and renamed into place, so an interrupted conversion
never leaves a half-written split behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from paper_mtl.files import replace_directory

MANIFEST = "manifest.json"


def data_root() -> Path:
    """The data directory: ``$PAPER_MTL_DATA`` if set, else ``data/`` at the repository root."""
    env = os.environ.get("PAPER_MTL_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


def split_dir(name: str, split: str, root: str | Path | None = None) -> Path:
    return Path(root or data_root()) / name / split


def save_split(
    name: str,
    split: str,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any] | None = None,
    root: str | Path | None = None,
) -> Path:
    """Write ``arrays`` (all with the same first dimension) as split ``split`` of dataset ``name``, atomically."""
    if not arrays:
        raise ValueError(f"save_split({name!r}, {split!r}) got no arrays to write")
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"arrays of {name}/{split} disagree on their number of samples: {lengths}")
    target = split_dir(name, split, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{split}.", dir=target.parent))
    try:
        manifest = {"name": name, "split": split, "arrays": {}, "meta": meta or {}}
        for key, value in arrays.items():
            value = np.ascontiguousarray(value)
            np.save(tmp / f"{key}.npy", value, allow_pickle=False)
            manifest["arrays"][key] = {"shape": list(value.shape), "dtype": str(value.dtype)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        replace_directory(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def has_split(name: str, split: str, root: str | Path | None = None) -> bool:
    return (split_dir(name, split, root) / MANIFEST).is_file()


def load_split(
    name: str, split: str, root: str | Path | None = None, mmap: bool = True
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read split ``split`` of dataset ``name``: ``(arrays, meta)``, each array checked against the manifest."""
    directory = split_dir(name, split, root)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"no prepared split {name!r}/{split!r}: expected {manifest_path} (run the matching data_scripts/ converter)"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        expected = manifest["arrays"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise ValueError(f"{manifest_path} is corrupt: expected JSON with an 'arrays' entry ({exc})") from exc
    arrays = {}
    for key, spec in expected.items():
        path = directory / f"{key}.npy"
        try:
            array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path} is missing or corrupt: expected a .npy array of shape {spec['shape']} ({exc})") from exc
        if list(array.shape) != spec["shape"] or str(array.dtype) != spec["dtype"]:
            raise ValueError(
                f"{path} has shape {list(array.shape)} and dtype {array.dtype}, "
                f"but the manifest expects {spec['shape']} and {spec['dtype']}"
            )
        arrays[key] = array
    return arrays, manifest.get("meta", {})
