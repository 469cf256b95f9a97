"""NYUv2 (Silberman et al., ECCV 2012) converters, for the two layouts multi-task papers start from.

1. The official labeled set ``nyu_depth_v2_labeled.mat`` (MATLAB v7.3 = HDF5, read with the optional h5py):
   ``images`` (1449, 3, 640, 480) uint8, ``depths`` (1449, 640, 480) metres and ``labels`` (1449, 640, 480)
   with ids 1..894 (0 = unlabeled), all stored transposed (MATLAB is column-major). The standard 795/654
   train/test split comes from the official ``splits.mat`` (``trainNdxs``/``testNdxs``, 1-based). The 40- and
   13-class groupings are defined by mapping files that are not shipped with the dataset, so a mapping is an
   argument; without it the 894 raw classes are kept. Normals are computed from depth with the RGB camera's
   intrinsics (:data:`NYUV2_INTRINSICS`, from the NYU toolbox's ``camera_params.m``) unless a normals file is
   given.
2. The preprocessed 288×384 ``.npy`` layout of MTAN (lorenmt/mtan, ``im2im_pred/create_dataset.py``) and
   LibMTL (``examples/nyu/create_dataset.py``): ``{train,val}/{image,label,depth,normal}/<i>.npy`` with image
   (H, W, 3) floats in [0, 1], label (H, W) 13 classes with -1 = ignore, depth (H, W, 1) with 0 = invalid and
   normal (H, W, 3) with 0 = invalid. Their ``val`` split is the 654-image test set; it is written as ``test``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from paper_mtl.data.converters._common import (
    DatasetBuilder,
    PathLike,
    load_mat,
    load_npy,
    require_dir,
    require_file,
    require_h5py,
    to_uint8_image,
    unit_normals,
)
from paper_mtl.data.readers import as_size, resize
from paper_mtl.progress import progress_bar


NYUV2_INTRINSICS: dict[str, float] = {
    "fx": 5.1885790117450188e02,
    "fy": 5.1946961112127485e02,
    "cx": 3.2558244941119034e02,
    "cy": 2.5373616633400465e02,
}
NYUV2_RAW_CLASSES = 894
NORMAL_FRAME = "camera frame: x right, y down, z forward (away from the camera); normals face the camera"
MTAN_SPLITS = {"train": "train", "val": "test"}
_CHUNK = 8


def normals_from_depth(
    depth: np.ndarray, fx: float, fy: float, cx: float, cy: float, max_relative_step: float = 0.1
) -> np.ndarray:
    """Surface normals (n, 3, H, W) of z-depth maps (n, H, W) seen by a pinhole camera.

    Each pixel is back-projected to P = Z·((u − cx)/fx, (v − cy)/fy, 1); the normal is the normalised cross
    product of the central-difference tangents ∂P/∂v × ∂P/∂u, oriented to face the camera (n·P < 0), in the
    frame of :data:`NORMAL_FRAME`. A pixel is invalid (normal 0) where its depth or a neighbour's used by the
    differences is not positive, or where the depth jumps by more than ``max_relative_step`` of itself towards
    a neighbour (an occlusion boundary, where no surface normal is defined).
    """
    depth = np.asarray(depth, dtype=np.float64)
    if depth.ndim != 3:
        raise ValueError(f"depth must have shape (n, H, W), got {depth.shape}")
    _, height, width = depth.shape
    x = ((np.arange(width) - cx) / fx)[None, None, :] * depth
    y = ((np.arange(height) - cy) / fy)[None, :, None] * depth
    (xu, yu, zu), (xv, yv, zv) = ([np.gradient(c, axis=axis) for c in (x, y, depth)] for axis in (2, 1))
    normals = np.stack([yv * zu - zv * yu, zv * xu - xv * zu, xv * yu - yv * xu], axis=1)  # dP/dv x dP/du
    facing = normals[:, 0] * x + normals[:, 1] * y + normals[:, 2] * depth
    normals *= np.where(facing > 0, -1.0, 1.0)[:, None]
    valid = depth > 0
    padded = np.pad(depth, ((0, 0), (1, 1), (1, 1)), mode="edge")
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        neighbour = padded[:, dy : dy + height, dx : dx + width]
        valid &= (neighbour > 0) & (np.abs(neighbour - depth) <= max_relative_step * depth)
    return unit_normals(np.where(valid[:, None], normals, 0.0), min_norm=1e-12)


def load_nyuv2_splits(path: PathLike, n_images: int = 1449) -> tuple[np.ndarray, np.ndarray]:
    """0-based (train, test) indices from the official ``splits.mat`` (1-based ``trainNdxs``/``testNdxs``)
    or from an ``.npz`` holding 0-based ``train`` and ``test`` arrays. Checks range and disjointness."""
    path = require_file(
        path, "the NYUv2 train/test split (splits.mat with trainNdxs/testNdxs, or .npz with train/test)"
    )
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                train, test = np.asarray(data["train"]).ravel(), np.asarray(data["test"]).ravel()
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(
                f"{path} is corrupt or lacks 'train'/'test': expected an .npz of 0-based indices ({exc})"
            ) from exc
    else:
        mat = load_mat(path, "the NYUv2 split with 1-based trainNdxs and testNdxs")
        missing = [k for k in ("trainNdxs", "testNdxs") if k not in mat]
        if missing:
            raise ValueError(f"{path} lacks {missing}: expected the official NYUv2 splits.mat (trainNdxs, testNdxs)")
        train, test = mat["trainNdxs"].ravel() - 1, mat["testNdxs"].ravel() - 1
    train, test = train.astype(np.int64), test.astype(np.int64)
    for label, index in (("train", train), ("test", test)):
        if index.size == 0 or index.min() < 0 or index.max() >= n_images:
            raise ValueError(
                f"{path}: {label} indices must lie in [0, {n_images}) (0-based), "
                f"got {index.min(initial=0)}..{index.max(initial=0)}"
            )
        if len(np.unique(index)) != len(index):
            raise ValueError(f"{path}: {label} indices contain duplicates")
    overlap = np.intersect1d(train, test)
    if overlap.size:
        raise ValueError(f"{path}: train and test share images {overlap[:10].tolist()}")
    return np.sort(train), np.sort(test)


def _class_map(class_map: PathLike | np.ndarray | None) -> np.ndarray | None:
    if class_map is None:
        return None
    if isinstance(class_map, np.ndarray):
        mapping, where = class_map, "class_map"
    else:
        mapping, where = load_npy(class_map, f"a class map of {NYUV2_RAW_CLASSES + 1} integers"), str(class_map)
    mapping = np.asarray(mapping).ravel()
    if mapping.shape != (NYUV2_RAW_CLASSES + 1,) or not np.issubdtype(mapping.dtype, np.integer):
        raise ValueError(
            f"{where} has shape {mapping.shape} and dtype {mapping.dtype}: expected {NYUV2_RAW_CLASSES + 1} integers, "
            f"mapping each raw id 0..{NYUV2_RAW_CLASSES} to a 1-based class (0 = unlabeled)"
        )
    if mapping.min() < 0 or mapping[0] != 0:
        raise ValueError(f"{where}: class ids must be >= 0 and raw id 0 (unlabeled) must map to 0")
    return mapping.astype(np.int64)


def _normals_file(path: PathLike, n_images: int, shape: tuple[int, int]) -> np.ndarray:
    height, width = shape
    what = (
        f"NYUv2 normals for all {n_images} images as .npy ({n_images}, 3, {height}, {width}) "
        f"or ({n_images}, {height}, {width}, 3)"
    )
    path = require_file(path, what)
    try:
        normals = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is corrupt or not a .npy array: expected {what} ({exc})") from exc
    if normals.shape == (n_images, *shape, 3):
        return normals.transpose(0, 3, 1, 2)
    if normals.shape != (n_images, 3, *shape):
        raise ValueError(f"{path} has shape {normals.shape}: expected {what}")
    return normals


def prepare_nyuv2_mat(
    mat_path: PathLike,
    splits: PathLike,
    root: PathLike | None = None,
    *,
    class_map: PathLike | np.ndarray | None = None,
    normals: PathLike | None = None,
    size: int | tuple[int, int] | None = None,
    name: str = "nyuv2_labeled",
) -> Path:
    """Convert the official ``nyu_depth_v2_labeled.mat`` (HDF5, read with h5py) into dataset ``name``.

    Opens the file and hands its ``images``/``depths``/``labels`` to :func:`convert_nyuv2_labeled`, which
    documents the other arguments. Returns the dataset directory.
    """
    h5py = require_h5py()
    mat_path = require_file(mat_path, "the official NYUv2 nyu_depth_v2_labeled.mat (MATLAB v7.3 / HDF5)")
    try:
        handle = h5py.File(mat_path, "r")
    except OSError as exc:
        raise ValueError(
            f"{mat_path} is corrupt or not an HDF5 (MATLAB v7.3) file: expected nyu_depth_v2_labeled.mat ({exc})"
        ) from exc
    with handle:
        return convert_nyuv2_labeled(
            handle, splits, root, source=mat_path, class_map=class_map, normals=normals, size=size, name=name
        )


def convert_nyuv2_labeled(
    data: Mapping[str, Any],
    splits: PathLike,
    root: PathLike | None = None,
    *,
    source: PathLike = "nyu_depth_v2_labeled.mat",
    class_map: PathLike | np.ndarray | None = None,
    normals: PathLike | None = None,
    size: int | tuple[int, int] | None = None,
    name: str = "nyuv2_labeled",
) -> Path:
    """Write dataset ``name`` (splits ``train``/``test``) from NYUv2's labeled arrays in MATLAB's layout.

    ``data`` maps ``images`` (n, 3, W, H) uint8, ``depths`` (n, W, H) metres and ``labels`` (n, W, H) raw ids
    0..894 to array-likes indexable by a sorted index list (an open h5py file, or numpy arrays). ``splits``: the
    official ``splits.mat`` (or an .npz, see :func:`load_nyuv2_splits`) — required, since the 795/654 split
    is not recoverable from the data. ``class_map``: an array (or .npy) of 895 integers mapping each raw id to
    a 1-based class, 0 = unlabeled (e.g. the 40- or 13-class grouping); without it the raw ids are kept.
    Labels are written 0-based with -1 = unlabeled. ``normals``: an .npy of precomputed normals for all images;
    without it they are computed from depth (:func:`normals_from_depth`). ``size``: optional (height, width)
    to resize to (default: the native 480×640). ``source`` names the input in errors and the manifest.
    """
    mapping = _class_map(class_map)
    missing = [k for k in ("images", "depths", "labels") if k not in data]
    if missing:
        raise ValueError(
            f"{source} lacks datasets {missing}: expected 'images', 'depths' and 'labels' of nyu_depth_v2_labeled.mat"
        )
    images, depths, labels = data["images"], data["depths"], data["labels"]
    n = images.shape[0]
    if (
        len(images.shape) != 4
        or images.shape[1] != 3
        or depths.shape != (n, *images.shape[2:])
        or labels.shape != depths.shape
    ):
        raise ValueError(
            f"{source}: images {images.shape}, depths {depths.shape}, labels {labels.shape}; expected "
            "(n, 3, W, H), (n, W, H) and (n, W, H) as MATLAB stores them"
        )
    height, width = images.shape[3], images.shape[2]
    train, test = load_nyuv2_splits(splits, n)
    given_normals = _normals_file(normals, n, (height, width)) if normals is not None else None
    out_hw = (height, width) if size is None else as_size(size)
    num_classes = NYUV2_RAW_CLASSES if mapping is None else int(mapping.max())
    meta: dict[str, Any] = {
        "source": str(source),
        "format": "nyu_depth_v2_labeled.mat",
        "splits_file": str(splits),
        "tasks": {
            "segment_semantic": {
                "kind": "classes",
                "num_classes": num_classes,
                "ignore_index": -1,
                "classes": "raw NYUv2 ids minus 1 (894 classes)"
                if mapping is None
                else f"class_map (1-based) minus 1 ({num_classes} classes)",
            },
            "depth_zbuffer": {"kind": "depth", "units": "m", "invalid": 0},
            "normal": {
                "kind": "normal",
                "frame": NORMAL_FRAME,
                "source": str(normals) if normals is not None else f"computed from depth with {NYUV2_INTRINSICS}",
            },
        },
    }
    with DatasetBuilder(name, root) as builder:
        for split, index in (("train", train), ("test", test)):
            count = len(index)
            rgb = builder.scratch((count, 3, *out_hw), np.uint8)
            seg = builder.scratch((count, *out_hw), np.int64)
            depth = builder.scratch((count, 1, *out_hw), np.float32)
            normal = builder.scratch((count, 3, *out_hw), np.float32)
            for start in progress_bar(range(0, count, _CHUNK), desc=f"NYUv2 {split}", leave=False):
                rows = index[start : start + _CHUNK]
                stop = start + len(rows)
                img = np.asarray(images[rows.tolist()]).transpose(0, 1, 3, 2)
                dep = np.asarray(depths[rows.tolist()], dtype=np.float32).transpose(0, 2, 1)
                raw = np.asarray(labels[rows.tolist()]).transpose(0, 2, 1).astype(np.int64)
                if raw.min() < 0 or raw.max() > NYUV2_RAW_CLASSES:
                    raise ValueError(
                        f"{source}: labels outside 0..{NYUV2_RAW_CLASSES} in images {rows.tolist()} (0-based)"
                    )
                lab = (raw if mapping is None else mapping[raw]) - 1
                nor = (
                    unit_normals(np.asarray(given_normals[rows]), min_norm=0.5)
                    if given_normals is not None
                    else normals_from_depth(dep, **NYUV2_INTRINSICS)
                )
                rgb[start:stop] = resize(img, out_hw, "image")
                seg[start:stop] = resize(lab, out_hw, "classes")
                depth[start:stop] = resize(dep[:, None], out_hw, "depth")
                normal[start:stop] = resize(nor, out_hw, "normal")
            builder.save(
                split,
                {"rgb": rgb, "segment_semantic": seg, "depth_zbuffer": depth, "normal": normal},
                {**meta, "indices": index.tolist()},
            )
    return builder.target


def _indexed_files(directory: Path, what: str) -> list[Path]:
    """``directory/0.npy, 1.npy, ...`` in index order; an error names the first missing index."""
    require_dir(directory, what)
    names = sorted(int(p.stem) for p in directory.glob("*.npy") if p.stem.isdigit())
    if not names:
        raise FileNotFoundError(f"no <index>.npy files in {directory}: expected {what}")
    missing = sorted(set(range(names[-1] + 1)) - set(names))
    if missing:
        raise FileNotFoundError(
            f"missing file {directory / f'{missing[0]}.npy'}: expected {what} for every index 0..{names[-1]}"
        )
    return [directory / f"{i}.npy" for i in range(names[-1] + 1)]


def read_mtan_split(split_dir: Path, folders: dict[str, str], builder: DatasetBuilder) -> dict[str, np.ndarray]:
    """Read one MTAN/LibMTL-style split directory into the project's layout.

    ``folders`` maps an output key (``rgb`` or a task) to its sub-folder; every sub-folder must hold the same
    indices. Images (H, W, 3) in [0, 1] become uint8 (3, H, W); labels (H, W) become int64 with -1 = ignore;
    depth (H, W, 1) and normals (H, W, 3) become channel-first float32 (normals rescaled to unit length,
    invalid zeros kept).
    """
    files = {key: _indexed_files(split_dir / folder, f"MTAN-style {folder} arrays") for key, folder in folders.items()}
    counts = {folders[key]: len(paths) for key, paths in files.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(
            f"{split_dir}: sub-folders hold different numbers of samples {counts}; expected one file per sample in each"
        )
    count = next(iter(counts.values()))
    height, width = load_npy(files["rgb"][0], "an image array of shape (H, W, 3)").shape[:2]
    shapes = {
        "rgb": (height, width, 3),
        "segment_semantic": (height, width),
        "depth_zbuffer": (height, width, 1),
        "normal": (height, width, 3),
    }
    layouts = {
        "rgb": ((3, height, width), np.uint8),
        "segment_semantic": ((height, width), np.int64),
        "depth_zbuffer": ((1, height, width), np.float32),
        "normal": ((3, height, width), np.float32),
    }
    out = {key: builder.scratch((count, *layouts[key][0]), layouts[key][1]) for key in folders}
    for i in progress_bar(range(count), desc=f"{split_dir.name}", leave=False):
        for key, paths in files.items():
            path = paths[i]
            what = f"a {folders[key]} array of shape {shapes[key]}"
            array = load_npy(path, what)
            if key == "depth_zbuffer" and array.ndim == 2:
                array = array[:, :, None]
            if array.shape != shapes[key]:
                raise ValueError(f"{path} has shape {array.shape}: expected {what} (all samples share one size)")
            if key == "rgb":
                out[key][i] = to_uint8_image(array, path, "an image")
            elif key == "segment_semantic":
                if not np.all(np.isfinite(array)) or np.any(array != np.round(array)) or array.min() < -1:
                    raise ValueError(f"{path}: expected integer class ids >= 0 with -1 = ignore")
                out[key][i] = array.astype(np.int64)
            elif key == "depth_zbuffer":
                out[key][i] = array.transpose(2, 0, 1)
            else:
                out[key][i] = unit_normals(array.transpose(2, 0, 1), min_norm=0.5)
    return out


def check_labels(labels: np.ndarray, num_classes: int, where: Path) -> None:
    """``ValueError`` unless every label is -1 (ignore) or a class id in ``[0, num_classes)``."""
    low, high = int(labels.min()), int(labels.max())
    if low < -1 or high >= num_classes:
        raise ValueError(f"{where}: labels span {low}..{high}, expected -1 (ignore) or 0..{num_classes - 1}")


def prepare_nyuv2_npy(
    src: PathLike, root: PathLike | None = None, *, num_classes: int = 13, name: str = "nyuv2_mtan"
) -> Path:
    """Convert the preprocessed MTAN/LibMTL NYUv2 layout (``{train,val}/{image,label,depth,normal}/<i>.npy``,
    13 classes at 288×384) into dataset ``name`` with splits ``train`` and ``test`` (their ``val``)."""
    src = require_dir(src, "the MTAN/LibMTL NYUv2 directory with train/ and val/")
    folders = {"rgb": "image", "segment_semantic": "label", "depth_zbuffer": "depth", "normal": "normal"}
    with DatasetBuilder(name, root) as builder:
        for source_split, split in MTAN_SPLITS.items():
            arrays = read_mtan_split(
                require_dir(src / source_split, f"the MTAN {source_split} split"), folders, builder
            )
            check_labels(arrays["segment_semantic"], num_classes, src / source_split / "label")
            meta = {
                "source": str(src),
                "format": "MTAN/LibMTL preprocessed NYUv2 (.npy per sample)",
                "source_split": source_split,
                "tasks": {
                    "segment_semantic": {
                        "kind": "classes",
                        "num_classes": num_classes,
                        "ignore_index": -1,
                        "classes": f"NYUv2 {num_classes}-class grouping",
                    },
                    "depth_zbuffer": {"kind": "depth", "units": "m", "invalid": 0},
                    "normal": {"kind": "normal", "source": "MTAN's precomputed normals (Eigen & Fergus)"},
                },
            }
            builder.save(split, arrays, meta)
    return builder.target


def prepare_nyuv2(src: PathLike, root: PathLike | None = None, **kwargs: Any) -> Path:
    """Convert NYUv2 from either layout: a ``.mat`` file goes to :func:`prepare_nyuv2_mat` (which needs
    ``splits=``), a directory to :func:`prepare_nyuv2_npy`."""
    src = Path(src)
    if src.is_dir():
        return prepare_nyuv2_npy(src, root, **kwargs)
    if src.suffix == ".mat":
        if "splits" not in kwargs:
            raise ValueError(
                f"converting {src} needs splits=<path to the official splits.mat> (the standard 795/654 train/test "
                "split is not stored in nyu_depth_v2_labeled.mat)"
            )
        return prepare_nyuv2_mat(src, root=root, **kwargs)
    raise FileNotFoundError(
        f"{src} is neither nyu_depth_v2_labeled.mat nor a directory in the MTAN/LibMTL .npy layout (train/, val/)"
    )
