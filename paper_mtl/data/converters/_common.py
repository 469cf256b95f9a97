"""Shared pieces of the real-dataset converters: checked file readers and an all-or-nothing dataset writer.

Every reader raises ``FileNotFoundError`` for a missing file and ``ValueError`` for an unreadable one, each naming
the file and what was expected in it. :class:`DatasetBuilder` builds every split of a dataset in a private
staging directory beside it and swaps the finished dataset in at the end, so a conversion that fails half-way
leaves the previous dataset (or nothing) behind, never a mix.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from paper_mtl.data.store import data_root, save_split
from paper_mtl.files import replace_directory

PathLike = str | Path


def require_file(path: PathLike, what: str) -> Path:
    """``path`` as a :class:`Path`, or ``FileNotFoundError`` naming it and ``what`` it should hold."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"missing file {path}: expected {what}")
    return path


def require_dir(path: PathLike, what: str) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"missing directory {path}: expected {what}")
    return path


def read_image(path: PathLike, what: str) -> np.ndarray:
    """Decode an image file (PNG, JPEG, ...) with Pillow into an array, keeping its bit depth.

    RGB(A) images come back as (H, W, 3) uint8 with any alpha dropped, palette images as their (H, W) indices,
    8-bit grey as (H, W) uint8 and 16-bit grey as (H, W) uint16.
    """
    path = require_file(path, what)
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA", "CMYK", "YCbCr"):
                image = image.convert("RGB" if image.mode != "LA" else "L")
            array = np.asarray(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"{path} is corrupt or not an image: expected {what} ({exc})") from exc
    if array.dtype == np.int32:
        if array.min() < 0 or array.max() > np.iinfo(np.uint16).max:
            raise ValueError(f"{path} holds values outside 0..65535: expected {what}")
        array = array.astype(np.uint16)
    return array


def read_rgb(path: PathLike, what: str) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB (grey images are repeated over the three channels)."""
    array = read_image(path, what)
    if array.ndim == 2:
        if array.dtype != np.uint8:
            raise ValueError(f"{path} is a {array.dtype} grey image: expected {what} (8-bit RGB)")
        array = np.repeat(array[:, :, None], 3, axis=2)
    return array


def load_npy(path: PathLike, what: str) -> np.ndarray:
    path = require_file(path, what)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path} is corrupt or not a .npy array: expected {what} ({exc})") from exc


def load_mat(path: PathLike, what: str) -> dict[str, Any]:
    """Read a MATLAB v4/v5/v7 ``.mat`` file with :func:`scipy.io.loadmat` (v7.3 files are HDF5: use h5py)."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    path = require_file(path, what)
    try:
        return loadmat(path)
    except (MatReadError, OSError, ValueError, TypeError, NotImplementedError, EOFError) as exc:
        raise ValueError(f"{path} is corrupt or not a MATLAB v5 .mat file: expected {what} ({exc})") from exc


def require_h5py() -> Any:
    """Import h5py (needed only for MATLAB v7.3 files such as NYUv2's labeled ``.mat``), with install advice."""
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "reading MATLAB v7.3 (HDF5) files needs h5py, which paper_mtl does not install by default: pip install h5py"
        ) from exc
    return h5py


def to_uint8_image(array: np.ndarray, path: PathLike, what: str) -> np.ndarray:
    """An (H, W, 3) image, float in [0, 1] or uint8, as (3, H, W) uint8 (floats rounded to the nearest level)."""
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"{path} has shape {array.shape}: expected {what} of shape (H, W, 3)")
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array.transpose(2, 0, 1))
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{path} has dtype {array.dtype}: expected {what} as floats in [0, 1] or uint8")
    low, high = float(np.min(array)), float(np.max(array))
    if low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(f"{path} has values in [{low:.3g}, {high:.3g}]: expected {what} as floats in [0, 1]")
    return np.clip(np.rint(array.transpose(2, 0, 1) * 255.0), 0, 255).astype(np.uint8)


def unit_normals(normals: np.ndarray, min_norm: float = 0.5) -> np.ndarray:
    """Rescale (..., 3, H, W) normal vectors to unit length; vectors shorter than ``min_norm`` become 0 (invalid)."""
    normals = np.asarray(normals, dtype=np.float32)
    norm = np.sqrt(np.sum(normals * normals, axis=-3, keepdims=True))
    with np.errstate(divide="ignore"):
        scale = np.where(norm >= min_norm, 1.0 / norm, 0.0).astype(np.float32)
    return normals * scale


class DatasetBuilder:
    """Build all splits of dataset ``name`` under ``root`` atomically.

    Inside ``with DatasetBuilder(name, root) as builder:`` call :meth:`scratch` for large arrays (disk-backed,
    so a split need not fit in memory) and :meth:`save` once per split. Leaving the block normally replaces
    ``<root>/<name>`` by the new splits in one rename; an exception leaves the old dataset untouched and removes
    every temporary file.
    """

    def __init__(self, name: str, root: PathLike | None = None) -> None:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"dataset name {name!r} must be a plain directory name")
        self.name = name
        self.root = Path(root) if root is not None else data_root()
        self.target = self.root / name
        self._staging: Path | None = None
        self._scratch_count = 0
        self.splits: list[str] = []

    def __enter__(self) -> DatasetBuilder:
        self.root.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f".{self.name}.staging.", dir=self.root))
        (self._staging / "scratch").mkdir()
        return self

    @property
    def staging(self) -> Path:
        if self._staging is None:
            raise RuntimeError("DatasetBuilder is used outside its `with` block")
        return self._staging

    def scratch(self, shape: tuple[int, ...], dtype: np.dtype | type, fill: float | int | None = None) -> np.ndarray:
        """A disk-backed array (a .npy memmap in the staging directory), optionally filled with ``fill``."""
        self._scratch_count += 1
        path = self.staging / "scratch" / f"{self._scratch_count}.npy"
        array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
        if fill is not None:
            array[...] = fill
        return array

    def save(self, split: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        save_split(self.name, split, arrays, meta, root=self.staging / "out")
        self.splits.append(split)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        staging = self.staging
        try:
            if exc_type is None:
                built = staging / "out" / self.name
                if not self.splits:
                    raise ValueError(f"no split of {self.name!r} was written")
                replace_directory(built, self.target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            self._staging = None
