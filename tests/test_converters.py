"""Converters of the real datasets, run on tiny files fabricated in each official layout."""

from __future__ import annotations

import importlib.util
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from paper_mtl.data.converters import (
    convert_nyuv2_labeled,
    normals_from_depth,
    prepare_cityscapes,
    prepare_nyuv2,
    prepare_nyuv2_mat,
    prepare_nyuv2_npy,
    prepare_pascal,
    prepare_taskonomy,
)
from paper_mtl.data.converters._common import DatasetBuilder
from paper_mtl.data.converters.nyuv2 import NYUV2_INTRINSICS, load_nyuv2_splits
from paper_mtl.data.converters.pascal import NORMAL_VALID_CLASSES
from paper_mtl.data.edges import label_edges, thin
from paper_mtl.data.converters.taskonomy import split_buildings
from paper_mtl.data.store import load_split

DATA_SCRIPTS = Path(__file__).resolve().parents[1] / "data_scripts"


def leftovers(root: Path) -> list[str]:
    """Everything under ``root`` (a failed conversion must leave nothing, not even staging directories)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def run_script(name: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    module = runpy.run_path(str(DATA_SCRIPTS / name))
    module["main"](argv)
    return capsys.readouterr().out


# ---------------------------------------------------------------- MTAN / LibMTL .npy layouts (NYUv2, Cityscapes)


def write_mtan(
    src: Path, split: str, n: int, folders: dict[str, str], seed: int, hw: tuple[int, int] = (4, 6), classes: int = 13
) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    h, w = hw
    written: dict[str, list[np.ndarray]] = {folder: [] for folder in folders.values()}
    for i in range(n):
        for kind, folder in folders.items():
            if kind == "image":
                array = rng.integers(0, 256, size=(h, w, 3)) / 255.0
            elif kind == "label":
                array = rng.integers(-1, classes, size=(h, w)).astype(np.float32)
            elif kind == "depth":
                array = rng.uniform(0.5, 9.0, size=(h, w, 1)).astype(np.float32)
                array[0, 0] = 0.0
            else:
                array = rng.normal(size=(h, w, 3)).astype(np.float32)
                array /= np.linalg.norm(array, axis=2, keepdims=True)
                array[0, 0] = 0.0
            (src / split / folder).mkdir(parents=True, exist_ok=True)
            np.save(src / split / folder / f"{i}.npy", array)
            written[folder].append(array)
    return written


NYU_FOLDERS = {"image": "image", "label": "label", "depth": "depth", "normal": "normal"}


def test_nyuv2_npy_layout_is_converted_sample_by_sample(tmp_path: Path) -> None:
    src, root = tmp_path / "nyuv2", tmp_path / "data"
    train = write_mtan(src, "train", 3, NYU_FOLDERS, seed=0)
    val = write_mtan(src, "val", 2, NYU_FOLDERS, seed=1)
    target = prepare_nyuv2(src, root)
    assert target == root / "nyuv2_mtan"
    assert sorted(p.name for p in target.iterdir()) == ["test", "train"]
    for split, written in (("train", train), ("test", val)):
        arrays, meta = load_split("nyuv2_mtan", split, root)
        assert set(arrays) == {"rgb", "segment_semantic", "depth_zbuffer", "normal"}
        assert arrays["rgb"].dtype == np.uint8 and arrays["rgb"].shape == (len(written["image"]), 3, 4, 6)
        for i in range(len(written["image"])):
            np.testing.assert_array_equal(arrays["rgb"][i], np.rint(written["image"][i] * 255).transpose(2, 0, 1))
            np.testing.assert_array_equal(arrays["segment_semantic"][i], written["label"][i].astype(np.int64))
            np.testing.assert_array_equal(arrays["depth_zbuffer"][i, 0], written["depth"][i][:, :, 0])
            np.testing.assert_allclose(arrays["normal"][i], written["normal"][i].transpose(2, 0, 1), atol=1e-6)
        assert arrays["segment_semantic"].dtype == np.int64
        assert arrays["depth_zbuffer"][:, 0, 0, 0].tolist() == [0.0] * len(written["image"])
        assert meta["source_split"] == {"train": "train", "test": "val"}[split]
        assert meta["tasks"]["segment_semantic"] == {
            "kind": "classes",
            "num_classes": 13,
            "ignore_index": -1,
            "classes": "NYUv2 13-class grouping",
        }
    assert [p.name for p in root.iterdir()] == ["nyuv2_mtan"]  # no staging directory left behind


def test_dataset_builder_rejects_names_that_are_not_plain_directories(tmp_path: Path) -> None:
    for name in ("../escape", ".hidden", "", "a/b"):
        with pytest.raises(ValueError, match=r"must be a plain directory name"):
            DatasetBuilder(name, tmp_path)


def test_dataset_builder_that_writes_no_split_leaves_the_old_dataset(tmp_path: Path) -> None:
    with DatasetBuilder("toy", tmp_path) as builder:
        builder.save("train", {"rgb": np.zeros((1, 3, 2, 2), np.uint8)}, {})
    with pytest.raises(ValueError, match=r"no split of 'toy' was written"), DatasetBuilder("toy", tmp_path):
        pass
    assert leftovers(tmp_path) == ["toy", "toy/train", "toy/train/manifest.json", "toy/train/rgb.npy"]


def test_nyuv2_npy_missing_file_names_it_and_writes_nothing(tmp_path: Path) -> None:
    src, root = tmp_path / "nyuv2", tmp_path / "data"
    write_mtan(src, "train", 3, NYU_FOLDERS, seed=0)
    write_mtan(src, "val", 2, NYU_FOLDERS, seed=1)
    (src / "val" / "depth" / "0.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"val/depth/0\.npy"):
        prepare_nyuv2_npy(src, root)
    assert leftovers(root) == []


def test_nyuv2_npy_corrupt_file_names_it_and_keeps_the_previous_dataset(tmp_path: Path) -> None:
    src, root = tmp_path / "nyuv2", tmp_path / "data"
    write_mtan(src, "train", 3, NYU_FOLDERS, seed=0)
    write_mtan(src, "val", 2, NYU_FOLDERS, seed=1)
    prepare_nyuv2_npy(src, root)
    before = {split: load_split("nyuv2_mtan", split, root, mmap=False)[0] for split in ("train", "test")}
    files_before = leftovers(root)
    (src / "val" / "image" / "1.npy").write_bytes(b"not a numpy file")
    with pytest.raises(ValueError, match=r"val/image/1\.npy is corrupt"):
        prepare_nyuv2_npy(src, root)
    assert leftovers(root) == files_before
    for split, arrays in before.items():
        for key, value in load_split("nyuv2_mtan", split, root)[0].items():
            np.testing.assert_array_equal(value, arrays[key])


def test_nyuv2_npy_rejects_images_outside_unit_range_and_bad_labels(tmp_path: Path) -> None:
    src, root = tmp_path / "nyuv2", tmp_path / "data"
    write_mtan(src, "train", 2, NYU_FOLDERS, seed=0)
    write_mtan(src, "val", 1, NYU_FOLDERS, seed=1)
    np.save(src / "train" / "image" / "1.npy", np.full((4, 6, 3), 255.0))
    with pytest.raises(ValueError, match=r"train/image/1\.npy has values in \[255, 255\]"):
        prepare_nyuv2_npy(src, root)
    write_mtan(src, "train", 2, NYU_FOLDERS, seed=0)
    np.save(src / "val" / "label" / "0.npy", np.full((4, 6), 13.0))
    with pytest.raises(ValueError, match=r"labels span 13\.\.13, expected -1 \(ignore\) or 0\.\.12"):
        prepare_nyuv2_npy(src, root)
    assert leftovers(root) == []


@pytest.mark.parametrize("classes, folder", [(7, "label_7"), (19, "label_19"), (2, "label_2"), (7, "label")])
def test_cityscapes_reads_the_requested_label_set(tmp_path: Path, classes: int, folder: str) -> None:
    src, root = tmp_path / "cityscapes", tmp_path / "data"
    folders = {"image": "image", "label": folder, "depth": "depth"}
    train = write_mtan(src, "train", 2, folders, seed=2, hw=(2, 4), classes=classes)
    write_mtan(src, "val", 1, folders, seed=3, hw=(2, 4), classes=classes)
    target = prepare_cityscapes(src, root, classes=classes)
    assert target.name == f"cityscapes{classes}"
    arrays, meta = load_split(target.name, "train", root)
    assert set(arrays) == {"rgb", "segment_semantic", "depth_zbuffer"}
    np.testing.assert_array_equal(arrays["segment_semantic"], np.stack(train[folder]).astype(np.int64))
    np.testing.assert_array_equal(arrays["depth_zbuffer"], np.stack(train["depth"]).transpose(0, 3, 1, 2))
    assert meta["tasks"]["segment_semantic"]["num_classes"] == classes
    assert "not metres" in meta["tasks"]["depth_zbuffer"]["units"]
    assert load_split(target.name, "test", root)[0]["rgb"].shape == (1, 3, 2, 4)


def test_cityscapes_rejects_unknown_label_sets_and_missing_folders(tmp_path: Path) -> None:
    src, root = tmp_path / "cityscapes", tmp_path / "data"
    write_mtan(src, "train", 1, {"image": "image", "label": "label_7", "depth": "depth"}, seed=0, classes=7)
    write_mtan(src, "val", 1, {"image": "image", "label": "label_7", "depth": "depth"}, seed=0, classes=7)
    with pytest.raises(ValueError, match=r"classes must be one of \(2, 7, 19\), got 13"):
        prepare_cityscapes(src, root, classes=13)
    with pytest.raises(FileNotFoundError, match=r"missing directory .*train/label_19"):
        prepare_cityscapes(src, root, classes=19)
    assert leftovers(root) == []


# ---------------------------------------------------------------- NYUv2 official labeled .mat


def planar_depth(height: int, width: int, normal: np.ndarray, offset: float) -> np.ndarray:
    """Z-depth of the plane n·P = offset seen by the NYUv2 camera (0 where the ray misses it)."""
    k = NYUV2_INTRINSICS
    v, u = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    rays = np.stack([(u - k["cx"]) / k["fx"], (v - k["cy"]) / k["fy"], np.ones_like(u, dtype=float)])
    denominator = np.tensordot(normal, rays, axes=1)
    with np.errstate(divide="ignore"):
        depth = offset / denominator
    return np.where((denominator != 0) & (depth > 0), depth, 0.0)


def test_normals_from_depth_recovers_planes_and_marks_invalid_pixels() -> None:
    floor = np.array([0.0, -1.0, 0.0])  # the floor 1.5 m below the camera (y down), its normal pointing up
    tilted = np.array([0.3, -0.2, -1.0]) / np.linalg.norm([0.3, -0.2, -1.0])
    depth = np.stack([planar_depth(480, 640, floor, -1.5), planar_depth(480, 640, tilted, -2.0)])
    normals = normals_from_depth(depth, **NYUV2_INTRINSICS)
    assert normals.shape == (2, 3, 480, 640) and normals.dtype == np.float32
    floor_valid = np.abs(normals[0]).sum(0) > 0
    assert floor_valid[300:, :].all() and not floor_valid[:250].any()  # the horizon is at row cy ≈ 253.7
    np.testing.assert_allclose(normals[0][:, floor_valid].T, np.broadcast_to(floor, (floor_valid.sum(), 3)), atol=1e-6)
    tilted_valid = np.abs(normals[1]).sum(0) > 0
    assert tilted_valid.mean() > 0.99
    np.testing.assert_allclose(
        normals[1][:, tilted_valid].T, np.broadcast_to(tilted, (tilted_valid.sum(), 3)), atol=1e-6
    )
    step = np.full((1, 8, 8), 2.0)
    step[0, :, 4:] = 5.0
    step[0, 0, 0] = 0.0
    valid = np.abs(normals_from_depth(step, 500.0, 500.0, 4.0, 4.0)).sum(1)[0] > 0
    assert not valid[:, 3:5].any() and not valid[0, 0] and not valid[1, 0] and not valid[0, 1]
    assert valid[4, 1] and valid[4, 6]


def nyu_arrays(n: int, width: int, height: int, seed: int) -> dict[str, np.ndarray]:
    """Labeled-NYUv2-like arrays in MATLAB's (transposed) layout."""
    rng = np.random.default_rng(seed)
    depth = planar_depth(height, width, np.array([0.0, 0.0, -1.0]), -2.0)
    return {
        "images": rng.integers(0, 256, size=(n, 3, width, height), dtype=np.uint8),
        "depths": np.broadcast_to(depth.T, (n, width, height)).astype(np.float32)
        + rng.uniform(0, 1, (n, 1, 1)).astype(np.float32),
        "labels": rng.integers(0, 895, size=(n, width, height)).astype(np.uint16),
    }


def test_nyuv2_labeled_arrays_follow_the_split_the_class_map_and_matlab_layout(tmp_path: Path) -> None:
    data = nyu_arrays(5, 8, 6, seed=4)
    savemat(tmp_path / "splits.mat", {"trainNdxs": np.array([[1], [3], [4]]), "testNdxs": np.array([[5], [2]])})
    class_map = np.arange(895) % 41
    target = convert_nyuv2_labeled(data, tmp_path / "splits.mat", tmp_path / "data", class_map=class_map)
    assert target == tmp_path / "data" / "nyuv2_labeled"
    for split, index in (("train", [0, 2, 3]), ("test", [1, 4])):
        arrays, meta = load_split("nyuv2_labeled", split, tmp_path / "data")
        assert meta["indices"] == index
        np.testing.assert_array_equal(arrays["rgb"], data["images"][index].transpose(0, 1, 3, 2))
        np.testing.assert_array_equal(arrays["depth_zbuffer"][:, 0], data["depths"][index].transpose(0, 2, 1))
        expected = class_map[data["labels"][index].astype(np.int64)].transpose(0, 2, 1) - 1
        np.testing.assert_array_equal(arrays["segment_semantic"], expected)
        assert arrays["segment_semantic"].min() == -1 and arrays["segment_semantic"].max() == 39
        np.testing.assert_allclose(
            arrays["normal"][:, :, 2:-2, 2:-2],
            np.broadcast_to(np.array([0.0, 0.0, -1.0], np.float32)[None, :, None, None], (len(index), 3, 2, 4)),
            atol=1e-6,
        )
        assert meta["tasks"]["segment_semantic"]["num_classes"] == 40


def test_nyuv2_labeled_keeps_raw_classes_and_resizes(tmp_path: Path) -> None:
    data = nyu_arrays(3, 8, 6, seed=5)
    np.savez(tmp_path / "splits.npz", train=np.array([2, 0]), test=np.array([1]))
    convert_nyuv2_labeled(data, tmp_path / "splits.npz", tmp_path / "data", size=(3, 4), name="nyu_small")
    arrays, meta = load_split("nyu_small", "train", tmp_path / "data")
    assert arrays["rgb"].shape == (2, 3, 3, 4) and arrays["segment_semantic"].shape == (2, 3, 4)
    raw = data["labels"][[0, 2]].transpose(0, 2, 1).astype(np.int64) - 1
    np.testing.assert_array_equal(arrays["segment_semantic"], raw[:, ::2, ::2])  # nearest: every other pixel
    assert meta["tasks"]["segment_semantic"]["num_classes"] == 894
    assert "raw NYUv2 ids" in meta["tasks"]["segment_semantic"]["classes"]


def test_nyuv2_split_and_class_map_errors(tmp_path: Path) -> None:
    data = nyu_arrays(3, 8, 6, seed=6)
    root = tmp_path / "data"
    savemat(tmp_path / "bad.mat", {"trainNdxs": np.array([[1], [2]]), "testNdxs": np.array([[2]])})
    with pytest.raises(ValueError, match=r"train and test share images \[1\]"):
        convert_nyuv2_labeled(data, tmp_path / "bad.mat", root)
    savemat(tmp_path / "range.mat", {"trainNdxs": np.array([[1], [4]]), "testNdxs": np.array([[2]])})
    with pytest.raises(ValueError, match=r"train indices must lie in \[0, 3\)"):
        convert_nyuv2_labeled(data, tmp_path / "range.mat", root)
    savemat(tmp_path / "keys.mat", {"train": np.array([[1]])})
    with pytest.raises(ValueError, match=r"lacks \['trainNdxs', 'testNdxs'\]"):
        convert_nyuv2_labeled(data, tmp_path / "keys.mat", root)
    (tmp_path / "corrupt.mat").write_bytes(b"MATLAB 5.0 garbage")
    with pytest.raises(ValueError, match=r"corrupt\.mat is corrupt or not a MATLAB v5 \.mat file"):
        load_nyuv2_splits(tmp_path / "corrupt.mat")
    with pytest.raises(FileNotFoundError, match=r"missing file .*nowhere\.mat: expected the NYUv2 train/test split"):
        convert_nyuv2_labeled(data, tmp_path / "nowhere.mat", root)
    savemat(tmp_path / "splits.mat", {"trainNdxs": np.array([[1]]), "testNdxs": np.array([[2]])})
    with pytest.raises(ValueError, match=r"expected 895 integers"):
        convert_nyuv2_labeled(data, tmp_path / "splits.mat", root, class_map=np.arange(40))
    with pytest.raises(ValueError, match=r"lacks datasets \['labels'\]"):
        convert_nyuv2_labeled({k: v for k, v in data.items() if k != "labels"}, tmp_path / "splits.mat", root)
    with pytest.raises(ValueError, match=r"needs splits=<path to the official splits\.mat>"):
        prepare_nyuv2(tmp_path / "nyu_depth_v2_labeled.mat", root)
    assert leftovers(root) == []


def test_nyuv2_normals_file_replaces_computed_normals(tmp_path: Path) -> None:
    data = nyu_arrays(2, 8, 6, seed=7)
    savemat(tmp_path / "splits.mat", {"trainNdxs": np.array([[2]]), "testNdxs": np.array([[1]])})
    given = np.zeros((2, 6, 8, 3), np.float32)
    given[..., 0] = 2.0  # channel-last and not unit length: read, transposed and rescaled
    np.save(tmp_path / "normals.npy", given)
    convert_nyuv2_labeled(data, tmp_path / "splits.mat", tmp_path / "data", normals=tmp_path / "normals.npy")
    normal = load_split("nyuv2_labeled", "train", tmp_path / "data")[0]["normal"]
    np.testing.assert_array_equal(normal[:, 0], 1.0)
    np.testing.assert_array_equal(normal[:, 1:], 0.0)
    np.save(tmp_path / "normals.npy", given[:, :5])
    with pytest.raises(ValueError, match=r"normals\.npy has shape \(2, 5, 8, 3\): expected NYUv2 normals"):
        convert_nyuv2_labeled(data, tmp_path / "splits.mat", tmp_path / "data", normals=tmp_path / "normals.npy")


def test_nyuv2_mat_without_h5py_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install h5py"):
        prepare_nyuv2_mat(tmp_path / "nyu_depth_v2_labeled.mat", tmp_path / "splits.mat", tmp_path / "data")


def test_nyuv2_mat_file(tmp_path: Path) -> None:
    """With h5py installed: an HDF5 file converts exactly like its arrays. Without it: the install advice."""
    mat, root = tmp_path / "nyu_depth_v2_labeled.mat", tmp_path / "data"
    savemat(tmp_path / "splits.mat", {"trainNdxs": np.array([[1], [3]]), "testNdxs": np.array([[2]])})
    if importlib.util.find_spec("h5py") is None:
        with pytest.raises(ImportError, match=r"needs h5py.*pip install h5py"):
            prepare_nyuv2_mat(mat, tmp_path / "splits.mat", root)
        return
    import h5py

    data = nyu_arrays(3, 8, 6, seed=8)
    with h5py.File(mat, "w") as handle:
        for key, value in data.items():
            handle.create_dataset(key, data=value)
    prepare_nyuv2(mat, root, splits=tmp_path / "splits.mat")
    convert_nyuv2_labeled(data, tmp_path / "splits.mat", root, name="from_arrays")
    for split in ("train", "test"):
        from_file, from_arrays = load_split("nyuv2_labeled", split, root)[0], load_split("from_arrays", split, root)[0]
        for key in from_arrays:
            np.testing.assert_array_equal(from_file[key], from_arrays[key])
    mat.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"nyu_depth_v2_labeled\.mat is corrupt or not an HDF5"):
        prepare_nyuv2_mat(mat, tmp_path / "splits.mat", tmp_path / "other")
    assert leftovers(tmp_path / "other") == []


# ---------------------------------------------------------------- Taskonomy per-task PNG folders


def save_png(path: Path, array: np.ndarray) -> None:
    """PNG of an (H, W) uint8/uint16 or (H, W, 3) uint8 array (uint16 becomes a 16-bit grey PNG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


TASKONOMY_FOLDERS = (
    "rgb",
    "depth_zbuffer",
    "normal",
    "segment_semantic",
    "edge_texture",
    "reshading",
    "principal_curvature",
)


def write_taskonomy(
    src: Path,
    buildings: list[str],
    views: list[tuple[int, int]],
    seed: int = 0,
    semantic_folder: str = "segment_semantic",
    extra_level: str = "",
) -> dict[tuple, dict]:
    rng = np.random.default_rng(seed)
    written = {}
    for building in buildings:
        for point, view in views:
            arrays = {
                "rgb": rng.integers(0, 256, (4, 4, 3), dtype=np.uint8),
                "depth_zbuffer": rng.integers(0, 8000, (4, 4)).astype(np.uint16),
                "normal": rng.integers(0, 256, (4, 4, 3), dtype=np.uint8),
                "segment_semantic": rng.integers(0, 18, (4, 4), dtype=np.uint8),
                "edge_texture": rng.integers(0, 65536, (4, 4)).astype(np.uint16),
                "reshading": rng.integers(0, 256, (4, 4), dtype=np.uint8),
                "principal_curvature": rng.integers(0, 256, (4, 4, 3), dtype=np.uint8),
            }
            arrays["depth_zbuffer"][0, 0] = 65535
            arrays["normal"][1, 1] = 127  # no surface: decodes to a near-zero vector
            for task, array in arrays.items():
                folder = semantic_folder if task == "segment_semantic" else task
                domain = "segmentsemantic" if folder == "segmentsemantic" else task
                save_png(
                    src / folder / extra_level / building / f"point_{point}_view_{view}_domain_{domain}.png", array
                )
            written[(building, point, view)] = arrays
    return written


def test_split_buildings_is_disjoint_seeded_and_pinned() -> None:
    buildings = ["allensville", "beechwood", "benevolence", "coffeen", "collierville"]
    train, test = split_buildings(buildings, 0.2, seed=0)
    assert (train, test) == split_buildings(list(reversed(buildings)), 0.2, seed=0)
    assert len(test) == 1 and sorted(train + test) == buildings
    assert test == [buildings[np.random.default_rng(0).permutation(5)[0]]]
    assert {tuple(split_buildings(buildings, 0.4, seed=s)[1]) for s in range(10)} != {tuple(test)}
    with pytest.raises(ValueError, match=r"at least 2 buildings, found \['a'\]"):
        split_buildings(["a", "a"], 0.2, seed=0)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\), got 1.5"):
        split_buildings(buildings, 1.5, seed=0)


def test_taskonomy_decodes_every_task_and_splits_by_building(tmp_path: Path) -> None:
    src, root = tmp_path / "taskonomy", tmp_path / "data"
    written = write_taskonomy(src, ["alpha", "bravo", "charlie"], [(0, 0), (12, 3)])
    target = prepare_taskonomy(src, root, size=4, test_fraction=0.34, seed=1)
    train, train_meta = load_split("taskonomy", "train", root)
    test, test_meta = load_split("taskonomy", "test", root)
    assert set(train) == {
        "rgb",
        "depth_zbuffer",
        "normal",
        "segment_semantic",
        "edge_texture",
        "reshading",
        "principal_curvature",
    }
    assert len(test_meta["buildings"]) == 1 and not set(train_meta["buildings"]) & set(test_meta["buildings"])
    assert len(train["rgb"]) == 4 and len(test["rgb"]) == 2
    for arrays, meta in ((train, train_meta), (test, test_meta)):
        for i, view in enumerate(meta["views"]):
            building, point, view_id = re.fullmatch(r"(\w+)/point_(\d+)_view_(\d+)", view).groups()
            source = written[(building, int(point), int(view_id))]
            np.testing.assert_array_equal(arrays["rgb"][i], source["rgb"].transpose(2, 0, 1))
            depth = source["depth_zbuffer"] / 512.0
            depth[0, 0] = 0.0
            np.testing.assert_allclose(arrays["depth_zbuffer"][i, 0], depth, rtol=1e-6)
            seg = source["segment_semantic"].astype(np.int64)
            np.testing.assert_array_equal(arrays["segment_semantic"][i], np.where(seg == 0, -1, seg))
            np.testing.assert_allclose(arrays["edge_texture"][i, 0], source["edge_texture"] / 65535.0, rtol=1e-6)
            np.testing.assert_allclose(arrays["reshading"][i, 0], source["reshading"] / 255.0, rtol=1e-6)
            np.testing.assert_allclose(
                arrays["principal_curvature"][i],
                source["principal_curvature"][:, :, :2].transpose(2, 0, 1) / 255.0,
                rtol=1e-6,
            )
            normal = arrays["normal"][i]
            norm = np.linalg.norm(normal, axis=0)
            assert norm[0, 0] == 0.0 and norm[1, 1] == 0.0  # invalid depth; no surface
            decoded = source["normal"].transpose(2, 0, 1) * (2 / 255.0) - 1.0
            valid = norm > 0
            np.testing.assert_allclose(
                normal[:, valid], (decoded / np.linalg.norm(decoded, axis=0))[:, valid], atol=1e-6
            )
    assert train_meta["tasks"]["segment_semantic"]["num_classes"] == 18
    assert train_meta["split"]["test_buildings"] == test_meta["buildings"]
    again = tmp_path / "again"
    prepare_taskonomy(src, again, size=4, test_fraction=0.34, seed=1)
    np.testing.assert_array_equal(load_split("taskonomy", "train", again)[0]["rgb"], train["rgb"])
    assert target == root / "taskonomy"


def test_taskonomy_resizes_subsamples_and_accepts_omnidata_layout(tmp_path: Path) -> None:
    src, root = tmp_path / "omnidata", tmp_path / "data"
    write_taskonomy(
        src, ["a", "b"], [(0, 0), (1, 0), (2, 1)], semantic_folder="segmentsemantic", extra_level="taskonomy"
    )
    prepare_taskonomy(
        src,
        root,
        tasks=["segment_semantic", "depth_zbuffer"],
        size=2,
        test_fraction=0.5,
        max_per_building=2,
        name="tiny",
    )
    arrays, meta = load_split("tiny", "train", root)
    assert set(arrays) == {"rgb", "segment_semantic", "depth_zbuffer"}
    assert arrays["rgb"].shape == (2, 3, 2, 2) and arrays["segment_semantic"].shape == (2, 2, 2)
    assert meta["max_per_building"] == 2


def test_taskonomy_missing_and_corrupt_files(tmp_path: Path) -> None:
    src, root = tmp_path / "taskonomy", tmp_path / "data"
    write_taskonomy(src, ["alpha", "bravo"], [(0, 0), (5, 1)])
    (src / "normal" / "bravo" / "point_5_view_1_domain_normal.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing file .*normal/bravo/point_5_view_1_domain_normal\.png"):
        prepare_taskonomy(src, root, size=4, test_fraction=0.5)
    assert leftovers(root) == []
    prepare_taskonomy(src, root, size=4, test_fraction=0.5, drop_incomplete=True)
    meta = load_split("taskonomy", "train", root)[1]
    assert meta["dropped_incomplete_views"] == 1
    (src / "depth_zbuffer" / "alpha" / "point_0_view_0_domain_depth_zbuffer.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match=r"point_0_view_0_domain_depth_zbuffer\.png is corrupt or not an image"):
        prepare_taskonomy(src, tmp_path / "other", size=4, test_fraction=0.5, drop_incomplete=True)
    assert leftovers(tmp_path / "other") == []
    save_png(src / "depth_zbuffer" / "alpha" / "point_0_view_0_domain_depth_zbuffer.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"decodes to uint8: expected a 16-bit grey PNG of depth_zbuffer"):
        prepare_taskonomy(src, tmp_path / "other", size=4, test_fraction=0.5, drop_incomplete=True)
    with pytest.raises(ValueError, match=r"max_per_building must be a positive number of views or None, got 0"):
        prepare_taskonomy(src, root, max_per_building=0)
    with pytest.raises(ValueError, match=r"unknown Taskonomy task\(s\) \['depth'\]"):
        prepare_taskonomy(src, root, tasks=["depth"])
    with pytest.raises(FileNotFoundError, match=r"no folder for task\(s\) \['keypoints2d'\]"):
        prepare_taskonomy(src, root, tasks=["keypoints2d"])
    with pytest.raises(FileNotFoundError, match=r"no RGB images under"):
        prepare_taskonomy(tmp_path, root)


# ---------------------------------------------------------------- PASCAL-Context multi-task (PASCAL_MT)


def test_thin_and_label_edges_match_pinned_skimage_and_opencv_results() -> None:
    block = np.zeros((6, 8), bool)
    block[1:5, 1:7] = True
    expected = np.zeros((6, 8), bool)
    expected[3, 2:5] = True
    np.testing.assert_array_equal(thin(block), expected)
    label_map = np.array([[1, 1, 1, 2, 2, 2]] * 3 + [[3] * 6] * 2, dtype=np.uint16)
    np.testing.assert_array_equal(
        label_edges(label_map).astype(int),
        [
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 1, 0, 0],
            [0, 0, 1, 0, 1, 0],
            [1, 1, 0, 1, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ],
    )
    line = np.zeros((5, 5), bool)
    line[2] = True
    np.testing.assert_array_equal(thin(line), line)  # already thin: unchanged
    assert not label_edges(np.full((4, 4), 7)).any()


def anno(objects: list[tuple[int, list[tuple[str, np.ndarray]]]], shape: tuple[int, int]) -> np.ndarray:
    """A PASCAL-Part 'anno' struct: objects (class_ind, [(part name, mask), ...])."""
    obj_dtype = [("class", "O"), ("class_ind", "O"), ("mask", "O"), ("parts", "O")]
    objs = np.zeros((1, len(objects)), dtype=obj_dtype)
    for i, (category, parts) in enumerate(objects):
        if parts:
            part_array = np.zeros((1, len(parts)), dtype=[("part_name", "O"), ("mask", "O")])
            for j, (part_name, mask) in enumerate(parts):
                part_array[0, j] = (part_name, mask.astype(np.uint8))
        else:
            part_array = np.zeros((0, 0))
        objs[0, i] = (
            "person" if category == 15 else "other",
            np.array([[category]]),
            np.ones(shape, np.uint8),
            part_array,
        )
    record = np.zeros((1, 1), dtype=[("imname", "O"), ("objects", "O")])
    record[0, 0] = ("image", objs)
    return record


def write_pascal(src: Path, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    shape = (6, 8)
    ids = {"train": ["2008_000001", "2008_000002"], "val": ["2008_000003"]}
    written = {}
    (src / "ImageSets" / "Context").mkdir(parents=True)
    for split, split_ids in ids.items():
        (src / "ImageSets" / "Context" / f"{split}.txt").write_text("\n".join(split_ids) + "\n")
    valid_class, other_class = min(NORMAL_VALID_CLASSES), 1
    for k, image_id in enumerate(ids["train"] + ids["val"]):
        image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        (src / "JPEGImages").mkdir(exist_ok=True)
        Image.fromarray(image).save(src / "JPEGImages" / f"{image_id}.jpg", quality=95)
        label_map = np.full(shape, other_class, np.uint16)
        label_map[:, 4:] = valid_class
        label_map[4:, :] = 284
        (src / "pascal-context" / "trainval").mkdir(parents=True, exist_ok=True)
        savemat(src / "pascal-context" / "trainval" / f"{image_id}.mat", {"LabelMap": label_map})
        seg = rng.integers(0, 21, shape).astype(np.uint8)
        seg[0, 0] = 255
        folder = "VOC12" if k != 1 else "pascal-context"
        save_png(src / "semseg" / folder / f"{image_id}.png", seg)
        head, torso = np.zeros(shape, bool), np.zeros(shape, bool)
        head[0:2, 0:2], torso[2:4, 0:2] = True, True
        objects = (
            [(15, [("head", head), ("torso", torso), ("luarm", np.eye(6, 8, dtype=bool))])]
            if k == 0
            else [(12, [])]
            if k == 1
            else [(15, [])]
        )
        (src / "human_parts").mkdir(exist_ok=True)
        savemat(src / "human_parts" / f"{image_id}.mat", {"anno": anno(objects, shape)})
        normals = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        save_png(src / "normals_distill" / f"{image_id}.png", normals)
        saliency = rng.integers(0, 256, shape, dtype=np.uint8)
        save_png(src / "sal_distill" / f"{image_id}.png", saliency)
        written[image_id] = {
            "label_map": label_map,
            "seg": seg,
            "normals": normals,
            "saliency": saliency,
            "head": head,
            "torso": torso,
        }
    return written


def test_pascal_builds_every_target_as_astmt(tmp_path: Path) -> None:
    src, root = tmp_path / "PASCAL_MT", tmp_path / "data"
    written = write_pascal(src)
    target = prepare_pascal(src, root, size=(6, 8))
    assert target == root / "pascal_mt"
    train, meta = load_split("pascal_mt", "train", root)
    assert meta["ids"] == ["2008_000001", "2008_000002"]
    assert set(train) == {"rgb", "edge_texture", "segment_semantic", "parts", "normal", "saliency"}
    for i, image_id in enumerate(meta["ids"]):
        source = written[image_id]
        with Image.open(src / "JPEGImages" / f"{image_id}.jpg") as jpeg:
            np.testing.assert_array_equal(train["rgb"][i], np.asarray(jpeg.convert("RGB")).transpose(2, 0, 1))
        np.testing.assert_array_equal(train["edge_texture"][i, 0], label_edges(source["label_map"]).astype(np.float32))
        np.testing.assert_array_equal(
            train["segment_semantic"][i], np.where(source["seg"] == 255, -1, source["seg"].astype(np.int64))
        )
        np.testing.assert_array_equal(train["saliency"][i], (source["saliency"] > 127.5).astype(np.int64))
        normal = train["normal"][i]
        decoded = source["normals"].transpose(2, 0, 1) * (2 / 255.0) - 1
        on_nyu_classes = np.isin(source["label_map"], list(NORMAL_VALID_CLASSES))
        valid = on_nyu_classes & (np.linalg.norm(decoded, axis=0) >= 0.5)  # far-from-unit vectors are dropped
        assert on_nyu_classes.any() and valid.sum() > 0.8 * on_nyu_classes.sum()
        assert not np.abs(normal[:, ~valid]).any()
        np.testing.assert_allclose(np.linalg.norm(normal[:, valid], axis=0), 1.0, atol=1e-6)
        cosine = np.sum(normal * decoded, axis=0)[valid] / np.linalg.norm(decoded, axis=0)[valid]
        np.testing.assert_allclose(cosine, 1.0, atol=1e-5)
    parts = train["parts"]
    expected = np.zeros((6, 8), np.int64)
    expected[written["2008_000001"]["head"]] = 1
    expected[written["2008_000001"]["torso"]] = 2
    expected[np.eye(6, 8, dtype=bool)] = 3  # luarm is class 3 of 6 and is drawn last, over head and torso
    np.testing.assert_array_equal(parts[0], expected)
    np.testing.assert_array_equal(parts[1], -1)  # no person: ignored whole
    val, _ = load_split("pascal_mt", "val", root)
    np.testing.assert_array_equal(val["parts"][0], -1)  # a person without part annotations: ignored whole
    assert meta["tasks"]["parts"]["num_classes"] == 7


def test_pascal_resizes_and_selects_tasks(tmp_path: Path) -> None:
    src, root = tmp_path / "PASCAL_MT", tmp_path / "data"
    write_pascal(src, seed=1)
    prepare_pascal(src, root, tasks=["segment_semantic", "parts"], size=4, num_human_parts=1, limit=1)
    arrays, meta = load_split("pascal_mt", "train", root)
    assert set(arrays) == {"rgb", "segment_semantic", "parts"} and arrays["rgb"].shape == (1, 3, 4, 4)
    assert set(np.unique(arrays["parts"])) <= {0, 1} and meta["tasks"]["parts"]["num_classes"] == 2


def test_pascal_missing_and_corrupt_files(tmp_path: Path) -> None:
    src, root = tmp_path / "PASCAL_MT", tmp_path / "data"
    write_pascal(src)
    (src / "semseg" / "VOC12" / "2008_000003.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing file .*semseg/VOC12/2008_000003\.png"):
        prepare_pascal(src, root, size=4)
    assert leftovers(root) == []
    (src / "human_parts" / "2008_000002.mat").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"human_parts/2008_000002\.mat is corrupt or not a MATLAB v5 \.mat file"):
        prepare_pascal(src, root, tasks=["parts"], size=4)
    savemat(src / "pascal-context" / "trainval" / "2008_000001.mat", {"LabelMap": np.zeros((2, 2))})
    with pytest.raises(
        ValueError, match=r"2008_000001\.mat: found \(2, 2\), expected a 'LabelMap' of the image's shape \(6, 8\)"
    ):
        prepare_pascal(src, root, tasks=["edge_texture"], size=4)
    with pytest.raises(ValueError, match=r"unknown or no PASCAL task\(s\) \['depth'\]"):
        prepare_pascal(src, root, tasks=["depth"])
    with pytest.raises(ValueError, match=r"num_human_parts must be one of \[1, 4, 6, 14\], got 5"):
        prepare_pascal(src, root, num_human_parts=5)
    assert leftovers(root) == []


# ---------------------------------------------------------------- data_scripts wrappers


def test_data_scripts_print_what_they_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mtan(tmp_path / "nyu", "train", 2, NYU_FOLDERS, seed=0)
    write_mtan(tmp_path / "nyu", "val", 1, NYU_FOLDERS, seed=1)
    out = run_script("prepare_nyuv2.py", ["--src", str(tmp_path / "nyu"), "--root", str(tmp_path / "d")], capsys)
    assert (
        "nyuv2_mtan/train: depth_zbuffer float32[2, 1, 4, 6], normal float32[2, 3, 4, 6], rgb uint8[2, 3, 4, 6], "
        "segment_semantic int64[2, 4, 6]\n"
    ) in out
    folders = {"image": "image", "label": "label_7", "depth": "depth"}
    write_mtan(tmp_path / "cs", "train", 1, folders, seed=0, classes=7)
    write_mtan(tmp_path / "cs", "val", 1, folders, seed=0, classes=7)
    out = run_script("prepare_cityscapes.py", ["--src", str(tmp_path / "cs"), "--root", str(tmp_path / "d")], capsys)
    assert "cityscapes7/test: depth_zbuffer float32[1, 1, 4, 6], rgb uint8[1, 3, 4, 6], segment_semantic" in out
    write_taskonomy(tmp_path / "tk", ["a", "b"], [(0, 0)])
    out = run_script(
        "prepare_taskonomy.py",
        ["--src", str(tmp_path / "tk"), "--size", "2", "--test-fraction", "0.5", "--root", str(tmp_path / "d")],
        capsys,
    )
    assert "taskonomy/train: depth_zbuffer float32[1, 1, 2, 2], edge_texture float32[1, 1, 2, 2]" in out
    assert "rgb uint8[1, 3, 2, 2], segment_semantic int64[1, 2, 2]" in out
    write_pascal(tmp_path / "pm")
    out = run_script(
        "prepare_pascal.py",
        ["--src", str(tmp_path / "pm"), "--size", "4", "--tasks", "saliency", "--root", str(tmp_path / "d")],
        capsys,
    )
    assert "pascal_mt/val: rgb uint8[1, 3, 4, 4], saliency int64[1, 4, 4]" in out
    with pytest.raises(SystemExit):
        run_script("prepare_nyuv2.py", ["--src", str(tmp_path / "x.mat"), "--root", str(tmp_path / "d")], capsys)
    assert "--splits <official splits.mat> is required" in capsys.readouterr().err
