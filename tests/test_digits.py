"""MultiDigit (paper 05): split rules, placement of the digits, determinism, sources, argument checks."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from paper_mtl.data.digits import (
    LEFT_DIGITS,
    RIGHT_DIGITS,
    SPLITS,
    digit_size,
    digit_source,
    multidigit,
    partition_pairs,
    source_digits,
)
from paper_mtl.data.mnist import prepare_mnist
from paper_mtl.plots.digits import plot_samples

SIZES = (40, 10, 15)
MNIST_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def fabricate_mnist(directory: Path, n_train: int = 30, n_test: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Official MNIST files (gzipped) holding random 28x28 images, labels cycling through 0..9."""
    rng = np.random.default_rng(5)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = [
        rng.integers(1, 256, (n_train, 28, 28), dtype=np.uint8),
        (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(1, 256, (n_test, 28, 28), dtype=np.uint8),
        (np.arange(n_test) % 10).astype(np.uint8),
    ]
    for name, array in zip(MNIST_NAMES, arrays):
        header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        (directory / f"{name}.gz").write_bytes(gzip.compress(header + array.tobytes()))
    return np.concatenate([arrays[0], arrays[2]]), np.concatenate([arrays[1], arrays[3]]).astype(np.int64)


@pytest.fixture(autouse=True)
def empty_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def sklearn_data():
    return multidigit(sizes=SIZES, seed=3, source="sklearn")


@pytest.fixture(scope="module")
def sklearn_frames():
    return source_digits("sklearn")


def locate(image: np.ndarray, frame: np.ndarray, columns: range) -> list[tuple[int, int]]:
    """Every (top, left) with left in ``columns`` where ``frame`` sits in ``image`` with nothing else in ``columns``."""
    side = frame.shape[-1]
    band = slice(columns.start, columns.stop)
    hits = []
    for top in range(image.shape[0] - side + 1):
        for left in range(columns.start, columns.stop - side + 1):
            expected = np.zeros_like(image[:, band])
            expected[top : top + side, left - columns.start : left - columns.start + side] = frame
            if np.array_equal(image[:, band], expected):
                hits.append((top, left))
    return hits


def test_shapes_dtypes_and_meta(sklearn_data):
    assert list(sklearn_data) == list(SPLITS)
    for split, n in zip(SPLITS, SIZES):
        data = sklearn_data[split]
        assert data.inputs.shape == (n, 1, 64, 64) and data.inputs.dtype == torch.float32
        assert data.inputs.min() == 0 and data.inputs.max() <= 1
        assert data.tasks == ["left", "right"]
        for task in data.tasks:
            assert data.targets[task].dtype == torch.int64
            assert set(data.targets[task].tolist()) == set(range(5))
        meta = data.meta
        assert meta["left_digits"] == [0, 2, 4, 6, 8] and meta["right_digits"] == [1, 3, 5, 7, 9]
        recorded = (meta["split"], meta["source"], meta["seed"], meta["size"], meta["digit_size"])
        assert recorded == (split, "sklearn", 3, 64, 28)
        assert meta["source_indices"].shape == (n, 2) and meta["source_indices"].dtype == np.int64


def test_pairs_are_partitioned_and_every_class_is_in_every_split(sklearn_data):
    pairs = {split: {tuple(p) for p in sklearn_data[split].meta["pairs"][split]} for split in SPLITS}
    assert [len(pairs[s]) for s in SPLITS] == [15, 5, 5]
    assert set.union(*pairs.values()) == {(l, r) for l in LEFT_DIGITS for r in RIGHT_DIGITS}
    assert sum(len(p) for p in pairs.values()) == 25
    for split, n in zip(SPLITS, SIZES):
        data = sklearn_data[split]
        left = np.array(LEFT_DIGITS)[data.targets["left"].numpy()]
        right = np.array(RIGHT_DIGITS)[data.targets["right"].numpy()]
        assert set(zip(left.tolist(), right.tolist())) == pairs[split]
        assert data.targets["left"].bincount().tolist() == [n // 5] * 5
        assert data.targets["right"].bincount().tolist() == [n // 5] * 5


@pytest.mark.parametrize("seed", range(6))
def test_pair_partition_at_paper_sizes(seed):
    pairs = partition_pairs((16000, 4000, 5000), np.random.default_rng(seed))
    assert [len(pairs[s]) for s in SPLITS] == [15, 5, 5]
    everything = np.concatenate(list(pairs.values()))
    assert len({tuple(p) for p in everything.tolist()}) == 25
    for split_pairs in pairs.values():
        assert set(split_pairs[:, 0].tolist()) == set(range(5)) == set(split_pairs[:, 1].tolist())


def test_pair_partition_for_equal_sizes_keeps_a_transversal_per_split():
    pairs = partition_pairs((100, 100, 100), np.random.default_rng(0))
    assert [len(pairs[s]) for s in SPLITS] == [10, 10, 5]


def test_source_images_are_disjoint_across_splits_and_match_labels(sklearn_data, sklearn_frames):
    _, labels, _ = sklearn_frames
    used = {split: set(sklearn_data[split].meta["source_indices"].ravel().tolist()) for split in SPLITS}
    assert not used["train"] & used["val"] and not used["train"] & used["test"] and not used["val"] & used["test"]
    for split in SPLITS:
        data = sklearn_data[split]
        source = data.meta["source_indices"]
        np.testing.assert_array_equal(labels[source[:, 0]], np.array(LEFT_DIGITS)[data.targets["left"].numpy()])
        np.testing.assert_array_equal(labels[source[:, 1]], np.array(RIGHT_DIGITS)[data.targets["right"].numpy()])
        assert len(np.unique(source[:, 0])) == len(source)


def test_each_half_holds_its_own_digit(sklearn_data, sklearn_frames):
    frames = sklearn_frames[0].astype(np.float32) / 255
    for data in sklearn_data.values():
        images = data.inputs[:, 0].numpy()
        source = data.meta["source_indices"]
        np.testing.assert_allclose(images[:, :, :32].sum((1, 2)), frames[source[:, 0]].sum((1, 2)), rtol=1e-5)
        np.testing.assert_allclose(images[:, :, 32:].sum((1, 2)), frames[source[:, 1]].sum((1, 2)), rtol=1e-5)
    test = sklearn_data["test"]
    for i in range(4):
        image, (left, right) = test.inputs[i, 0].numpy(), test.meta["source_indices"][i]
        assert len(locate(image, frames[left], range(0, 32))) >= 1
        assert len(locate(image, frames[right], range(32, 64))) >= 1


def test_positions_vary_over_the_half(sklearn_data, sklearn_frames):
    images = torch.cat([d.inputs[:, 0] for d in sklearn_data.values()]).numpy()
    rows_with_ink = images.sum(axis=2) > 0
    first_row = rows_with_ink.argmax(axis=1)
    assert first_row.min() < 10 and first_row.max() > 30


def test_same_seed_same_data_other_seed_other_data(sklearn_data):
    again = multidigit(sizes=SIZES, seed=3, source="sklearn")
    other = multidigit(sizes=SIZES, seed=4, source="sklearn")
    for split in SPLITS:
        assert torch.equal(again[split].inputs, sklearn_data[split].inputs)
        assert torch.equal(again[split].targets["left"], sklearn_data[split].targets["left"])
        np.testing.assert_array_equal(again[split].meta["source_indices"], sklearn_data[split].meta["source_indices"])
        assert again[split].meta["pairs"] == sklearn_data[split].meta["pairs"]
        assert not torch.equal(other[split].inputs, sklearn_data[split].inputs)


def test_smaller_image_scales_the_digits():
    data = multidigit(sizes=(5, 5, 5), size=32, seed=0, source="sklearn")
    assert digit_size(32) == 14 and data["train"].meta["digit_size"] == 14
    images = data["val"].inputs[:, 0].numpy()
    assert images.shape == (5, 32, 32)
    assert (images[:, :, :16].sum((1, 2)) > 0).all() and (images[:, :, 16:].sum((1, 2)) > 0).all()
    assert set(data["test"].targets["right"].tolist()) == set(range(5))


def test_sklearn_fallback_without_mnist():
    assert digit_source() == "sklearn"
    frames, labels, source = source_digits("auto")
    assert source == "sklearn" and frames.shape == (1797, 28, 28) and frames.dtype == np.uint8
    assert np.bincount(labels).min() >= 174
    assert frames[:, :4].max() == 0 and frames[:, :, 24:].max() == 0 and frames.max() == 255
    assert multidigit(sizes=(5, 5, 5))["train"].meta["source"] == "sklearn"
    with pytest.raises(FileNotFoundError, match="prepare_mnist.py"):
        source_digits("mnist")


def test_mnist_from_a_directory(tmp_path):
    images, labels = fabricate_mnist(tmp_path / "raw")
    assert digit_source(tmp_path / "raw") == "mnist"
    assert digit_source(tmp_path / "nowhere") == "sklearn"
    data = multidigit(sizes=SIZES, seed=1, mnist_dir=tmp_path / "raw")
    used = {split: set(data[split].meta["source_indices"].ravel().tolist()) for split in SPLITS}
    assert not used["train"] & used["val"] and not used["train"] & used["test"] and not used["val"] & used["test"]
    for split in SPLITS:
        part = data[split]
        assert part.meta["source"] == "mnist"
        source = part.meta["source_indices"]
        np.testing.assert_array_equal(labels[source[:, 1]], np.array(RIGHT_DIGITS)[part.targets["right"].numpy()])
        frames = images.astype(np.float32) / 255
        for i in range(2):
            image = part.inputs[i, 0].numpy()
            assert locate(image, frames[source[i, 0]], range(0, 32))
            assert locate(image, frames[source[i, 1]], range(32, 64))
        counts = np.unique(source[:, 0][part.targets["left"].numpy() == 0], return_counts=True)[1]
        assert counts.max() - counts.min() <= 1


def test_mnist_from_the_prepared_store_and_from_mnist_raw(tmp_path):
    images, labels = fabricate_mnist(tmp_path / "data" / "mnist_raw")
    assert digit_source() == "mnist"
    frames, found_labels, source = source_digits("mnist")
    np.testing.assert_array_equal(frames, images)
    np.testing.assert_array_equal(found_labels, labels)
    prepare_mnist(tmp_path / "data" / "mnist_raw")
    for path in (tmp_path / "data" / "mnist_raw").iterdir():
        path.unlink()
    assert digit_source() == "mnist"
    frames, found_labels, source = source_digits("auto")
    assert source == "mnist"
    np.testing.assert_array_equal(frames, images)
    np.testing.assert_array_equal(found_labels, labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "emnist"}, r"source='emnist' is not valid; choose one of \['auto', 'mnist', 'sklearn'\]"),
        ({"sizes": (100, 100)}, r"sizes=\(100, 100\) is not valid; expected 3 integers \(train, val, test\)"),
        ({"sizes": (100, 4, 100)}, r"sizes=\(100, 4, 100\) is not valid.*each >= 5"),
        ({"sizes": (100, 10.0, 100)}, "sizes=.* is not valid"),
        ({"size": 8}, r"size=8 is not valid; expected an integer >= 16"),
        ({"size": 64.0}, r"size=64.0 is not valid"),
        ({"seed": -1}, r"seed=-1 is not valid; expected an integer >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        multidigit(**{"sizes": (5, 5, 5), **kwargs})


def test_bad_source_for_source_digits():
    with pytest.raises(ValueError, match="source='MNIST' is not valid"):
        source_digits("MNIST")


def test_plot_samples(sklearn_data):
    fig = plot_samples(sklearn_data["train"], n=6)
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_images()]
    data = sklearn_data["train"]
    expected = [
        f"left {LEFT_DIGITS[l]}, right {RIGHT_DIGITS[r]}"
        for l, r in zip(data.targets["left"][:6].tolist(), data.targets["right"][:6].tolist())
    ]
    assert [ax.get_title() for ax in axes] == expected
    np.testing.assert_array_equal(axes[0].get_images()[0].get_array(), data.inputs[0, 0].numpy())
    with pytest.raises(ValueError, match=r"n=0 is not valid; expected an integer in 1..40"):
        plot_samples(data, n=0)


@pytest.mark.parametrize("index", [slice(3, 9), [5, 0, 7], np.array([2, 2, 11])])
def test_subset_keeps_source_indices_aligned_with_samples(sklearn_data, index):
    train = sklearn_data["train"]
    part = train.subset(index)
    rows = np.arange(len(train))[index]
    assert np.array_equal(part.meta["source_indices"], train.meta["source_indices"][rows])
    assert torch.equal(part.targets["left"], train.targets["left"][torch.as_tensor(rows)])
    assert part.meta["pairs"] == train.meta["pairs"]
