"""Reader of prepared real datasets: task selection, errors, resizing by target kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from paper_mtl.data.converters import prepare_nyuv2_npy
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import describe_prepared, first_prepared, load_prepared, prepared_splits, resize
from paper_mtl.data.store import save_split

KINDS = {
    "segment_semantic": {"kind": "classes", "num_classes": 5, "ignore_index": -1},
    "depth_zbuffer": {"kind": "depth", "units": "m"},
    "normal": {"kind": "normal"},
    "edge_texture": {"kind": "binary"},
    "reshading": {"kind": "dense"},
}


def fabricate(root: Path, n: int = 3, hw: tuple[int, int] = (4, 6), seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    normal = rng.normal(size=(n, 3, *hw)).astype(np.float32)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    normal[:, :, 0, :] = 0.0
    depth = rng.uniform(1, 5, size=(n, 1, *hw)).astype(np.float32)
    depth[:, :, :, 0] = 0.0
    arrays = {
        "rgb": rng.integers(0, 256, size=(n, 3, *hw), dtype=np.uint8),
        "segment_semantic": rng.integers(-1, 5, size=(n, *hw)).astype(np.int64),
        "depth_zbuffer": depth,
        "normal": normal,
        "edge_texture": (rng.random((n, 1, *hw)) < 0.3).astype(np.float32),
        "reshading": rng.random((n, 1, *hw)).astype(np.float32),
    }
    save_split("toy", "train", arrays, {"source": "fabricated", "tasks": KINDS}, root=root)
    save_split(
        "toy", "test", {k: v[:1] for k, v in arrays.items()}, {"source": "fabricated", "tasks": KINDS}, root=root
    )
    return arrays


def test_load_prepared_serves_inputs_in_unit_range_and_exactly_the_requested_tasks(tmp_path: Path) -> None:
    arrays = fabricate(tmp_path)
    data = load_prepared("toy", "train", ["depth_zbuffer", "segment_semantic"], root=tmp_path)
    assert isinstance(data, MultiTaskData) and len(data) == 3
    assert data.inputs.dtype == torch.float32 and data.inputs.shape == (3, 3, 4, 6)
    np.testing.assert_array_equal(data.inputs.numpy(), arrays["rgb"].astype(np.float32) / np.float32(255))
    assert data.tasks == ["depth_zbuffer", "segment_semantic"]
    assert data.targets["segment_semantic"].dtype == torch.int64
    np.testing.assert_array_equal(data.targets["depth_zbuffer"].numpy(), arrays["depth_zbuffer"])
    np.testing.assert_array_equal(data.targets["segment_semantic"].numpy(), arrays["segment_semantic"])
    assert data.meta["name"] == "toy" and data.meta["split"] == "train" and data.meta["source"] == "fabricated"
    assert len(load_prepared("toy", "train", ["normal"], root=tmp_path, limit=2)) == 2
    assert len(load_prepared("toy", "test", [], root=tmp_path)) == 1


def test_load_prepared_errors_name_the_bad_value_and_the_choices(tmp_path: Path) -> None:
    fabricate(tmp_path)
    with pytest.raises(
        ValueError,
        match=r"task 'depth' is not in prepared dataset 'toy'/'train'; available: "
        r"\['depth_zbuffer', 'edge_texture', 'normal', 'reshading', 'segment_semantic'\]",
    ):
        load_prepared("toy", "train", ["depth"], root=tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"no prepared split 'val' of dataset 'toy' .*prepared splits: \['test', 'train'\]"
    ):
        load_prepared("toy", "val", ["normal"], root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"prepared splits: none .*data_scripts/prepare_\*\.py"):
        load_prepared("nyuv2_mtan", "train", ["normal"], root=tmp_path)
    with pytest.raises(ValueError, match=r"tasks must be a sequence of task names, got the string 'normal'"):
        load_prepared("toy", "train", "normal", root=tmp_path)
    with pytest.raises(ValueError, match=r"limit must be a positive number of samples or None, got 0"):
        load_prepared("toy", "train", ["normal"], root=tmp_path, limit=0)
    with pytest.raises(ValueError, match=r"size must be a positive int or a \(height, width\) pair, got \(2, 0\)"):
        load_prepared("toy", "train", ["normal"], root=tmp_path, size=(2, 0))


def test_resizing_keeps_ids_invalid_zeros_unit_normals_and_binary_maps(tmp_path: Path) -> None:
    arrays = fabricate(tmp_path, hw=(8, 12))
    tasks = ["segment_semantic", "depth_zbuffer", "normal", "edge_texture", "reshading"]
    small = load_prepared("toy", "train", tasks, root=tmp_path, size=(4, 6))
    big = load_prepared("toy", "train", tasks, root=tmp_path, size=16)
    for data, (h, w) in ((small, (4, 6)), (big, (16, 16))):
        assert data.inputs.shape == (3, 3, h, w) and data.inputs.min() >= 0 and data.inputs.max() <= 1
        assert data.targets["segment_semantic"].shape == (3, h, w)
        assert set(data.targets["segment_semantic"].unique().tolist()) <= set(
            np.unique(arrays["segment_semantic"]).tolist()
        )
        assert set(data.targets["edge_texture"].unique().tolist()) <= {0.0, 1.0}
        depth = data.targets["depth_zbuffer"].numpy()
        assert np.isin(depth, arrays["depth_zbuffer"]).all() and (depth[..., 0] == 0).all()  # nearest: no blending
        norm = data.targets["normal"].norm(dim=1)
        assert torch.all(((norm - 1).abs() < 1e-5) | (norm == 0))
        assert (norm[:, 0] == 0).all()  # the invalid top row stays invalid
    np.testing.assert_array_equal(small.targets["segment_semantic"].numpy(), arrays["segment_semantic"][:, ::2, ::2])


def test_resize_pins_each_interpolation() -> None:
    labels = np.array([[[3, -1], [0, 7]]], dtype=np.int64)
    np.testing.assert_array_equal(resize(labels, 4, "classes")[0], np.kron(labels[0], np.ones((2, 2), np.int64)))
    checker = (np.indices((4, 4)).sum(0) % 2 * 255).astype(np.uint8)[None, None].repeat(3, axis=1)
    shrunk = resize(checker, 2, "image")
    assert shrunk.dtype == np.uint8
    # antialiased bilinear = a triangle filter over 4 source pixels, as Pillow's BILINEAR gives on this checkerboard
    np.testing.assert_array_equal(shrunk[0, 0], [[125, 130], [130, 125]])
    ramp = np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)
    np.testing.assert_allclose(resize(ramp, (1, 2), "dense"), [[[[5 / 7, 16 / 7]]]], rtol=1e-6)  # triangle weights
    np.testing.assert_allclose(
        resize(ramp[..., ::3] * 2 / 3, (1, 4), "dense"), [[[[0, 0.5, 1.5, 2]]]]
    )  # half-pixel centres
    normals = np.zeros((1, 3, 2, 2), np.float32)
    normals[0, 0, :, 0] = 1.0  # left column (1, 0, 0), right column invalid
    normals[0, 1, :, 0] = 1.0
    big = resize(normals, (2, 4), "normal")
    np.testing.assert_allclose(
        big[0, :, :, :2], np.broadcast_to(np.array([1, 1, 0])[:, None, None] / np.sqrt(2), (3, 2, 2)), atol=1e-6
    )
    np.testing.assert_array_equal(big[0, :, :, 2:], 0.0)
    depth = np.array([[[[0.0, 2.0], [4.0, 6.0]]]], np.float32)
    np.testing.assert_array_equal(resize(depth, 4, "depth")[0, 0], np.kron(depth[0, 0], np.ones((2, 2))))
    assert np.shares_memory(resize(depth, 2, "depth"), depth)  # already the requested size: no copy
    with pytest.raises(ValueError, match=r"unknown target kind 'label'; valid kinds"):
        resize(labels, 4, "label")
    with pytest.raises(ValueError, match=r"a 'classes' batch must have 3 dimensions, got shape \(3,\)"):
        resize(np.zeros(3, np.int64), 4, "classes")


def test_converted_dataset_round_trip_and_summaries(tmp_path: Path) -> None:
    src = tmp_path / "nyu"
    rng = np.random.default_rng(3)
    for split, n in (("train", 2), ("val", 1)):
        for folder in ("image", "label", "depth", "normal"):
            (src / split / folder).mkdir(parents=True)
        for i in range(n):
            np.save(src / split / "image" / f"{i}.npy", rng.integers(0, 256, (4, 6, 3)) / 255.0)
            np.save(src / split / "label" / f"{i}.npy", rng.integers(-1, 13, (4, 6)).astype(np.float32))
            np.save(src / split / "depth" / f"{i}.npy", rng.uniform(1, 3, (4, 6, 1)).astype(np.float32))
            np.save(src / split / "normal" / f"{i}.npy", np.tile(np.float32([0, 0, 1]), (4, 6, 1)))
    prepare_nyuv2_npy(src, tmp_path / "data")
    assert prepared_splits("nyuv2_mtan", tmp_path / "data") == ["test", "train"]
    assert prepared_splits("missing", tmp_path / "data") == []
    data = load_prepared(
        "nyuv2_mtan", "test", ["segment_semantic", "normal", "depth_zbuffer"], root=tmp_path / "data", size=2
    )
    assert data.inputs.shape == (1, 3, 2, 2) and data.targets["segment_semantic"].shape == (1, 2, 2)
    np.testing.assert_array_equal(
        data.targets["normal"].numpy(), np.broadcast_to(np.float32([0, 0, 1])[None, :, None, None], (1, 3, 2, 2))
    )
    assert data.meta["tasks"]["normal"]["kind"] == "normal"
    lines = describe_prepared("nyuv2_mtan", tmp_path / "data")
    assert len(lines) == 2 and lines[0].endswith(
        "nyuv2_mtan/test: depth_zbuffer float32[1, 1, 4, 6], normal float32[1, 3, 4, 6], rgb uint8[1, 3, 4, 6], "
        "segment_semantic int64[1, 4, 6]"
    )


def test_first_prepared_needs_every_split(tmp_path: Path) -> None:
    arrays = {"rgb": np.zeros((1, 3, 2, 2), np.uint8)}
    save_split("half", "train", arrays, {}, root=tmp_path)
    save_split("whole", "train", arrays, {}, root=tmp_path)
    save_split("whole", "test", arrays, {}, root=tmp_path)
    assert first_prepared(["missing", "half", "whole"], ["train", "test"], root=tmp_path) == "whole"
    assert first_prepared(["half", "whole"], ["train"], root=tmp_path) == "half"
    assert first_prepared(["half", "missing"], ["train", "test"], root=tmp_path) is None


def test_resizing_from_the_memory_map_in_chunks_equals_resizing_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = fabricate(tmp_path, n=5, hw=(8, 12))
    tasks = ["segment_semantic", "depth_zbuffer", "normal", "edge_texture", "reshading"]
    monkeypatch.setattr("paper_mtl.data.readers._CHUNK", 2)
    chunked = load_prepared("toy", "train", tasks, root=tmp_path, size=(4, 6), limit=5)
    np.testing.assert_array_equal(chunked.inputs.numpy(), resize(arrays["rgb"], (4, 6), "image").astype(np.float32) / np.float32(255))
    for task in tasks:
        np.testing.assert_array_equal(chunked.targets[task].numpy(), resize(arrays[task], (4, 6), KINDS[task]["kind"]))
    same = load_prepared("toy", "train", tasks, root=tmp_path, size=(8, 12))
    assert all(v.numpy().flags.writeable for v in same.targets.values()) and same.inputs.shape == (5, 3, 8, 12)
