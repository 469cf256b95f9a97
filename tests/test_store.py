"""The on-disk dataset format: roundtrip, manifest checks, error messages, atomic writes."""

import json

import numpy as np
import pytest

from paper_mtl.data.store import MANIFEST, data_root, has_split, load_split, save_split, split_dir


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return {
        "image": rng.integers(0, 256, size=(6, 4, 5), dtype=np.uint8),
        "depth": rng.random((6, 1, 4, 5), dtype=np.float32),
        "label": np.arange(6, dtype=np.int64),
    }


def test_roundtrip_keeps_values_dtypes_and_meta(tmp_path, arrays):
    meta = {"source": "fabricated", "classes": [0, 1, 2]}
    path = save_split("toy", "train", arrays, meta=meta, root=tmp_path)
    assert path == tmp_path / "toy" / "train"
    for mmap in (True, False):
        loaded, loaded_meta = load_split("toy", "train", root=tmp_path, mmap=mmap)
        assert loaded_meta == meta
        assert sorted(loaded) == sorted(arrays)
        for key, value in arrays.items():
            assert loaded[key].dtype == value.dtype
            np.testing.assert_array_equal(loaded[key], value)
            assert isinstance(loaded[key], np.memmap) == mmap
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["arrays"]["depth"] == {"shape": [6, 1, 4, 5], "dtype": "float32"}
    assert has_split("toy", "train", root=tmp_path) and not has_split("toy", "test", root=tmp_path)


def test_save_replaces_an_existing_split(tmp_path, arrays):
    save_split("toy", "train", arrays, root=tmp_path)
    save_split("toy", "train", {"label": np.zeros(2, dtype=np.int64)}, root=tmp_path)
    loaded, _ = load_split("toy", "train", root=tmp_path)
    assert sorted(loaded) == ["label"]
    assert sorted(p.name for p in (tmp_path / "toy" / "train").iterdir()) == ["label.npy", MANIFEST]


def test_data_root_follows_the_environment(tmp_path, monkeypatch, arrays):
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path / "elsewhere"))
    assert data_root() == tmp_path / "elsewhere"
    save_split("toy", "val", arrays)
    assert (tmp_path / "elsewhere" / "toy" / "val" / MANIFEST).is_file()
    assert split_dir("toy", "val") == tmp_path / "elsewhere" / "toy" / "val"


def test_save_rejects_empty_and_ragged_arrays(tmp_path):
    with pytest.raises(ValueError, match="no arrays"):
        save_split("toy", "train", {}, root=tmp_path)
    with pytest.raises(ValueError, match=r"disagree.*'a': 3.*'b': 4"):
        save_split("toy", "train", {"a": np.zeros(3), "b": np.zeros(4)}, root=tmp_path)
    assert not (tmp_path / "toy" / "train").exists()


def test_missing_split_names_the_expected_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_split("toy", "test", root=tmp_path)
    assert str(tmp_path / "toy" / "test" / MANIFEST) in str(info.value)


def test_manifest_mismatch_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["arrays"]["label"]["shape"] = [7]
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"label\.npy has shape \[6\] and dtype int64, but the manifest expects \[7\]"):
        load_split("toy", "train", root=tmp_path)


def test_dtype_mismatch_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    np.save(path / "label.npy", np.arange(6, dtype=np.int32))
    with pytest.raises(ValueError, match="dtype int32, but the manifest expects .* int64"):
        load_split("toy", "train", root=tmp_path)


def test_corrupt_npy_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    (path / "depth.npy").write_bytes(b"not a numpy file")
    with pytest.raises(ValueError) as info:
        load_split("toy", "train", root=tmp_path)
    assert str(path / "depth.npy") in str(info.value) and "[6, 1, 4, 5]" in str(info.value)


def test_truncated_npy_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    data = (path / "depth.npy").read_bytes()
    (path / "depth.npy").write_bytes(data[:-10])
    for mmap in (True, False):
        with pytest.raises(ValueError, match="depth.npy is missing or corrupt"):
            load_split("toy", "train", root=tmp_path, mmap=mmap)


def test_missing_npy_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    (path / "image.npy").unlink()
    with pytest.raises(ValueError, match="image.npy is missing or corrupt"):
        load_split("toy", "train", root=tmp_path)


def test_corrupt_manifest_is_reported(tmp_path, arrays):
    path = save_split("toy", "train", arrays, root=tmp_path)
    (path / MANIFEST).write_text("{ truncated")
    with pytest.raises(ValueError, match=f"{MANIFEST} is corrupt"):
        load_split("toy", "train", root=tmp_path)


def test_interrupted_save_leaves_old_split_intact_and_no_partial_dir(tmp_path, arrays):
    save_split("toy", "train", arrays, meta={"version": 1}, root=tmp_path)
    broken = {"label": np.arange(6, dtype=np.int64), "names": np.array([object()] * 6, dtype=object)}
    with pytest.raises(ValueError, match="allow_pickle=False"):
        save_split("toy", "train", broken, meta={"version": 2}, root=tmp_path)
    assert [p.name for p in (tmp_path / "toy").iterdir()] == ["train"]
    loaded, meta = load_split("toy", "train", root=tmp_path)
    assert meta == {"version": 1}
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def test_interrupted_first_save_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        save_split("toy", "train", {"names": np.array([object()] * 2, dtype=object)}, root=tmp_path)
    assert list((tmp_path / "toy").iterdir()) == []
    assert not has_split("toy", "train", root=tmp_path)
