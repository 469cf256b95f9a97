"""MNIST IDX reader and converter on tiny files fabricated in the official format."""

import gzip
import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from paper_mtl.data.mnist import MNIST_FILES, find_mnist_file, has_mnist_files, load_mnist, prepare_mnist, read_idx
from paper_mtl.data.store import load_split

CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
         np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """The official IDX layout, written by hand: magic 0x0000<code><ndim>, big-endian uint32 dims, big-endian data."""
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    header = struct.pack(">HBB", 0, CODES[dtype] if code is None else code, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(dtype).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def fabricate_mnist(directory: Path, n_train: int = 30, n_test: int = 10, gz=(True, False, False, True)) -> dict:
    """The four MNIST files with random 28x28 images and labels cycling through 0..9; ``gz`` per file."""
    rng = np.random.default_rng(1)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    names = [name for pair in MNIST_FILES.values() for name in pair]
    counts = [n_train, n_train, n_test, n_test]
    for name, n, zipped in zip(names, counts, gz):
        if "images" in name:
            array = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        else:
            array = (np.arange(n) % 10).astype(np.uint8)
        write_idx(directory / (name + (".gz" if zipped else "")), array, zipped)
        arrays[name] = array
    return arrays


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_roundtrip(tmp_path, gz, dtype):
    values = np.arange(24).reshape(2, 3, 4) * 9 - (0 if dtype == np.uint8 else 100)
    array = (values + (0.25 if np.issubdtype(dtype, np.floating) else 0)).astype(dtype)
    out = read_idx(write_idx(tmp_path / "x-idx3", array, gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    array = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)


def test_read_idx_reads_big_endian_values(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(struct.pack(">HBBI", 0, 0x0C, 1, 2) + struct.pack(">ii", 258, -2))
    np.testing.assert_array_equal(read_idx(path), [258, -2])


def test_bad_magic_is_reported(tmp_path):
    path = tmp_path / "bad-idx"
    path.write_bytes(b"\x12\x34" + idx_bytes(np.zeros(3, dtype=np.uint8))[2:])
    with pytest.raises(ValueError, match=r"bad-idx is not an IDX file: expected magic number 0x0000XXYY, found 0x1234"):
        read_idx(path)


def test_unknown_dtype_code_is_reported(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8), code=0x07))
    with pytest.raises(ValueError, match=r"dtype code 0x07; expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data_is_reported(tmp_path, gz):
    data = idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))[:-5]
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "3131 data bytes; expected 3136 for shape [4, 28, 28] of dtype uint8 (file truncated)" in message


def test_trailing_bytes_are_reported(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match=r"4 data bytes; expected 3 .*trailing bytes"):
        read_idx(path)


def test_truncated_header_is_reported(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros((2, 2), dtype=np.uint8))[:9])
    with pytest.raises(ValueError, match=r"truncated: expected a 12-byte header for 2 dimensions, found 9 bytes"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="expected a 4-byte IDX magic number, found 2 bytes"):
        read_idx(path)


def test_corrupt_gzip_stream_is_reported(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match=r"x\.gz is a corrupt or truncated gzip file"):
        read_idx(path)


def test_missing_idx_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_idx(tmp_path / "nothing-here")


def test_load_mnist_reads_mixed_gzipped_and_plain_files(tmp_path):
    arrays = fabricate_mnist(tmp_path)
    assert has_mnist_files(tmp_path)
    splits = load_mnist(tmp_path)
    assert sorted(splits) == ["test", "train"]
    for split, (image_name, label_name) in MNIST_FILES.items():
        images, labels = splits[split]
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[image_name])
        np.testing.assert_array_equal(labels, arrays[label_name])
    assert splits["train"][0].shape == (30, 28, 28) and splits["test"][1].tolist() == list(range(10))


def test_plain_file_is_preferred_over_gz(tmp_path):
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2, dtype=np.uint8), gz=True)
    assert find_mnist_file(tmp_path, "train-labels-idx1-ubyte").name == "train-labels-idx1-ubyte"


def test_missing_mnist_file_is_named(tmp_path):
    fabricate_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert not has_mnist_files(tmp_path)
    expected = r"'t10k-labels-idx1-ubyte' not found: expected .*t10k-labels-idx1-ubyte or .*t10k-labels-idx1-ubyte\.gz"
    with pytest.raises(FileNotFoundError, match=expected):
        load_mnist(tmp_path)


def test_wrong_image_shape_is_reported(tmp_path):
    fabricate_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((30, 27, 28), dtype=np.uint8), gz=True)
    with pytest.raises(ValueError, match=r"holds uint8 \[30, 27, 28\]; expected uint8 \[n, 28, 28\] images"):
        load_mnist(tmp_path)


def test_label_count_mismatch_is_reported(tmp_path):
    fabricate_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(29, dtype=np.uint8))
    expected = r"has 29 labels; expected one per image of .*train-images-idx3-ubyte\.gz \(30\)"
    with pytest.raises(ValueError, match=expected):
        load_mnist(tmp_path)


def test_label_out_of_range_is_reported(tmp_path):
    fabricate_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(10, 10, dtype=np.uint8), gz=True)
    with pytest.raises(ValueError, match="has label 10; expected digits 0..9"):
        load_mnist(tmp_path)


def test_prepare_mnist_writes_the_store(tmp_path):
    arrays = fabricate_mnist(tmp_path / "src")
    target = prepare_mnist(tmp_path / "src", root=tmp_path / "data")
    assert target == tmp_path / "data" / "mnist"
    for split, (image_name, label_name) in MNIST_FILES.items():
        loaded, meta = load_split("mnist", split, root=tmp_path / "data")
        assert loaded["image"].dtype == np.uint8 and loaded["label"].dtype == np.int64
        np.testing.assert_array_equal(loaded["image"], arrays[image_name])
        np.testing.assert_array_equal(loaded["label"], arrays[label_name])
        assert meta["classes"] == list(range(10)) and meta["src"] == str((tmp_path / "src").resolve())
    assert load_split("mnist", "train", root=tmp_path / "data")[1]["files"] == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte"]


def test_prepare_mnist_writes_nothing_on_a_corrupt_file(tmp_path):
    fabricate_mnist(tmp_path / "src")
    path = tmp_path / "src" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="file truncated"):
        prepare_mnist(tmp_path / "src", root=tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_prepare_script_prints_what_it_wrote(tmp_path, capsys):
    script = Path(__file__).resolve().parents[1] / "data_scripts" / "prepare_mnist.py"
    spec = importlib.util.spec_from_file_location("prepare_mnist_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fabricate_mnist(tmp_path / "src")
    module.main(["--src", str(tmp_path / "src"), "--root", str(tmp_path / "data")])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"wrote {tmp_path / 'data' / 'mnist' / 'train'}: image uint8[30, 28, 28], label int64[30]",
        f"wrote {tmp_path / 'data' / 'mnist' / 'test'}: image uint8[10, 28, 28], label int64[10]",
    ]
