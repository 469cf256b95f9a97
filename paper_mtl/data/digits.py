"""MultiDigit: the modified MultiDigitMNIST of paper 05 (Sec. 4 and Figure 1).

Two digits side by side on one image (64x64 by default): the left digit is even (task ``left``), the right
digit is odd (task ``right``), each at a random position inside its half. Each (left class, right class) pair
appears in exactly one of train/val/test, so the network is evaluated on new pairings; in addition no source
digit image appears in two splits. Default split sizes are the paper's 16,000/4,000/5,000.

Placement follows Sun's (2019) MultiDigitMNIST generator: at ``size=64`` each digit keeps MNIST's 28x28 frame
(digits at their native scale, no random scaling), its top row uniform over the image height and its left
column uniform over the positions that keep it inside its half. For another ``size`` the digit frame is scaled
with the image (``digit_size``), so a smaller image is the same picture at a lower resolution.

Source digits: MNIST (train and test pooled, as Sun's generator does) when its files are present, otherwise
the 1,797 8x8 handwritten digits that scikit-learn ships, brought to MNIST's layout (digit in a 20x20 box
centred in a 28x28 frame, bilinear upsampling, 8-bit grey levels), so MultiDigit always works offline.
"""

from __future__ import annotations

import math
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from paper_mtl.data.mnist import has_mnist_files, load_mnist
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.store import data_root, has_split, load_split

LEFT_DIGITS = (0, 2, 4, 6, 8)
RIGHT_DIGITS = (1, 3, 5, 7, 9)
SPLITS = ("train", "val", "test")
SOURCES = ("auto", "mnist", "sklearn")
MIN_SIZE = 16
FRAME = 28  # side of an MNIST image
BOX = 20  # MNIST digits are size-normalised into a 20x20 box centred in their 28x28 frame
REFERENCE_SIZE = 64  # image size of the paper, where a digit keeps its 28x28 frame


def _mnist_location(mnist_dir: str | Path | None) -> Path | str | None:
    """Where MNIST is: ``mnist_dir`` (raw files) if given, else the prepared dataset ``"mnist"``, else raw files
    in ``<data_root()>/mnist_raw``. Returns the directory of raw files, ``"prepared"``, or ``None``."""
    if mnist_dir is not None:
        return Path(mnist_dir) if has_mnist_files(mnist_dir) else None
    if has_split("mnist", "train") and has_split("mnist", "test"):
        return "prepared"
    raw = data_root() / "mnist_raw"
    return raw if has_mnist_files(raw) else None


def digit_source(mnist_dir: str | Path | None = None) -> str:
    """``"mnist"`` if MNIST is available, else ``"sklearn"``.

    With ``mnist_dir`` only that directory is searched for the four official files (gzipped or not); without it,
    the dataset written by ``data_scripts/prepare_mnist.py`` and then ``<data_root()>/mnist_raw`` are searched.
    """
    return "sklearn" if _mnist_location(mnist_dir) is None else "mnist"


def _check_choice(name: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; choose one of {list(choices)}")


def _sklearn_frames() -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    box = F.interpolate(images, size=(BOX, BOX), mode="bilinear", align_corners=False)
    pad = (FRAME - BOX) // 2
    frames = F.pad(box, (pad, pad, pad, pad))[:, 0]
    return (frames.clamp(0, 1) * 255).round().to(torch.uint8).numpy(), digits.target.astype(np.int64)


def source_digits(source: str = "auto", mnist_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """The source digit images: ``(images uint8 (N, 28, 28), labels int64 (N,), source)``.

    ``source="mnist"`` raises ``FileNotFoundError`` when MNIST is not found (see :func:`digit_source`);
    ``"auto"`` falls back to scikit-learn's digits. MNIST images are its train then its test images.
    """
    _check_choice("source", source, SOURCES)
    location = None if source == "sklearn" else _mnist_location(mnist_dir)
    if location is None:
        if source == "mnist":
            where = mnist_dir or f"the prepared dataset 'mnist' or {data_root() / 'mnist_raw'}"
            raise FileNotFoundError(
                f"source='mnist' but no MNIST found in {where}; run data_scripts/prepare_mnist.py --src DIR "
                "or use source='sklearn'"
            )
        return (*_sklearn_frames(), "sklearn")
    if location == "prepared":
        parts = [load_split("mnist", split, mmap=False)[0] for split in ("train", "test")]
        return np.concatenate([p["image"] for p in parts]), np.concatenate([p["label"] for p in parts]), "mnist"
    splits = load_mnist(location)
    return (
        np.concatenate([splits["train"][0], splits["test"][0]]),
        np.concatenate([splits["train"][1], splits["test"][1]]),
        "mnist",
    )


def digit_size(size: int) -> int:
    """Side of a digit's frame in a ``size`` x ``size`` image: 28 (MNIST's frame) at the paper's 64, scaled with it."""
    return FRAME * size // REFERENCE_SIZE


def _resize(frames: np.ndarray, side: int) -> np.ndarray:
    if side == frames.shape[-1]:
        return frames
    small = F.interpolate(torch.from_numpy(frames)[:, None].float(), size=(side, side), mode="bilinear", antialias=True)
    return small[:, 0].clamp(0, 255).round().to(torch.uint8).numpy()


def _allocate(weights: tuple[int, ...], total: int, minimum: int = 1) -> np.ndarray:
    """Split ``total`` items in proportion to ``weights`` (largest remainder), at least ``minimum`` each."""
    ideal = total * np.asarray(weights, dtype=np.float64) / sum(weights)
    counts = np.maximum(np.floor(ideal).astype(np.int64), minimum)
    while counts.sum() < total:
        counts[np.argmax(ideal - counts)] += 1
    while counts.sum() > total:
        counts[np.argmin(np.where(counts > minimum, ideal - counts, np.inf))] -= 1
    return counts


def partition_pairs(sizes: tuple[int, int, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Partition the 25 (left class, right class) pairs over the splits: ``{split: int64 (k, 2) class indices}``.

    The pairs are cut into 5 transversals of a random Latin square, ``{(i, sigma((i + k) mod 5))}`` for
    ``k = 0..4``, each holding every left and every right class exactly once, and whole transversals go to the
    splits in proportion to ``sizes`` with at least one each. So every split contains every class (accuracy is
    defined on each), pairs are disjoint across splits, and classes are balanced inside a split. At the paper's
    16,000/4,000/5,000 this gives 15/5/5 pairs: exact proportions (16/4/5) would leave one class out of val.
    """
    n = len(LEFT_DIGITS)
    counts = _allocate(sizes, n)
    sigma, shifts = rng.permutation(n), rng.permutation(n)
    rows = np.arange(n)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    out = {}
    for split, start, stop in zip(SPLITS, bounds[:-1], bounds[1:]):
        ks = shifts[start:stop]
        right = sigma[(rows[None, :] + ks[:, None]) % n].ravel()
        out[split] = np.stack([np.tile(rows, len(ks)), right], axis=1).astype(np.int64)
    return out


def partition_sources(
    labels: np.ndarray, sizes: tuple[int, int, int], rng: np.random.Generator
) -> dict[str, dict[int, np.ndarray]]:
    """Give each source image to one split: ``{split: {digit: indices into labels}}``, per digit in proportion
    to ``sizes`` (at least one image per digit and split)."""
    out: dict[str, dict[int, np.ndarray]] = {split: {} for split in SPLITS}
    for digit in range(10):
        index = rng.permutation(np.flatnonzero(labels == digit))
        if len(index) < len(SPLITS):
            raise ValueError(f"the source has {len(index)} images of digit {digit}; need at least {len(SPLITS)}")
        bounds = np.concatenate([[0], np.cumsum(_allocate(sizes, len(index)))])
        for split, start, stop in zip(SPLITS, bounds[:-1], bounds[1:]):
            out[split][digit] = index[start:stop]
    return out


def _draw(
    classes: np.ndarray, digits: tuple[int, ...], pool: dict[int, np.ndarray], rng: np.random.Generator
) -> np.ndarray:
    """Source image index per sample: each image of the split's pool is used once before any is used again."""
    out = np.empty(len(classes), dtype=np.int64)
    for c, digit in enumerate(digits):
        where = np.flatnonzero(classes == c)
        images = pool[digit]
        reps = math.ceil(len(where) / len(images))
        out[where] = images[rng.random((reps, len(images))).argsort(axis=1).ravel()[: len(where)]]
    return out


def _paste(canvas: np.ndarray, patches: np.ndarray, top: np.ndarray, left: np.ndarray) -> None:
    side = patches.shape[-1]
    offsets = np.arange(side)
    rows = (top[:, None] + offsets)[:, :, None]
    cols = (left[:, None] + offsets)[:, None, :]
    canvas[np.arange(len(canvas))[:, None, None], rows, cols] = patches


def _validate(sizes: tuple[int, int, int], size: int, seed: int, source: str) -> None:
    _check_choice("source", source, SOURCES)
    n_classes = len(LEFT_DIGITS)
    if (
        not isinstance(sizes, (tuple, list))
        or len(sizes) != len(SPLITS)
        or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= n_classes for s in sizes)
    ):
        raise ValueError(
            f"sizes={sizes!r} is not valid; expected {len(SPLITS)} integers ({', '.join(SPLITS)}), each >= "
            f"{n_classes} so that every split can contain every class"
        )
    if not isinstance(size, Integral) or isinstance(size, bool) or size < MIN_SIZE:
        raise ValueError(f"size={size!r} is not valid; expected an integer >= {MIN_SIZE} (the paper uses 64)")
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} is not valid; expected an integer >= 0")


def multidigit(
    sizes: tuple[int, int, int] = (16000, 4000, 5000),
    size: int = 64,
    seed: int = 0,
    source: str = "auto",
    mnist_dir: str | Path | None = None,
) -> dict[str, MultiTaskData]:
    """Build MultiDigit (paper 05, Sec. 4, Figure 1): ``{"train", "val", "test"} -> MultiTaskData``.

    Inputs are float32 (n, 1, size, size) in [0, 1]; targets ``left`` and ``right`` are int64 class indices
    0..4 meaning the digits ``meta["left_digits"]`` = [0, 2, 4, 6, 8] and ``meta["right_digits"]`` =
    [1, 3, 5, 7, 9]. Pairs are split by :func:`partition_pairs` and source images by
    :func:`partition_sources`; within a split the pairs are used equally often. ``meta`` records the source
    (``"mnist"``/``"sklearn"``), the seed, the pairs of every split (as digits) and ``source_indices``, an int64
    (n, 2) array of the left and right source image of each sample (indices into :func:`source_digits`).
    The same arguments give the same arrays.
    """
    _validate(sizes, size, seed, source)
    sizes = tuple(int(s) for s in sizes)
    frames, labels, resolved = source_digits(source, mnist_dir)
    side = digit_size(size)
    patches = _resize(frames, side)
    half = size // 2
    rng = np.random.default_rng(seed)
    pairs = partition_pairs(sizes, rng)
    pools = partition_sources(labels, sizes, rng)
    left_digits, right_digits = np.array(LEFT_DIGITS), np.array(RIGHT_DIGITS)
    pair_digits = {s: np.stack([left_digits[p[:, 0]], right_digits[p[:, 1]]], 1).tolist() for s, p in pairs.items()}
    out = {}
    for split, n in zip(SPLITS, sizes):
        split_pairs = pairs[split]
        which = rng.permutation(np.arange(n) % len(split_pairs))
        left, right = split_pairs[which, 0], split_pairs[which, 1]
        sources = np.stack(
            [_draw(left, LEFT_DIGITS, pools[split], rng), _draw(right, RIGHT_DIGITS, pools[split], rng)], axis=1
        )
        top = rng.integers(0, size - side + 1, size=(2, n))
        column_left = rng.integers(0, half - side + 1, size=n)
        column_right = half + rng.integers(0, size - half - side + 1, size=n)
        canvas = np.zeros((n, size, size), dtype=np.uint8)
        _paste(canvas, patches[sources[:, 0]], top[0], column_left)
        _paste(canvas, patches[sources[:, 1]], top[1], column_right)
        inputs = torch.from_numpy(canvas)[:, None].float().div_(255.0)
        meta = {
            "name": "MultiDigit",
            "split": split,
            "source": resolved,
            "seed": seed,
            "size": size,
            "digit_size": side,
            "sizes": dict(zip(SPLITS, sizes)),
            "left_digits": list(LEFT_DIGITS),
            "right_digits": list(RIGHT_DIGITS),
            "pairs": pair_digits,
            "source_indices": sources,
        }
        out[split] = MultiTaskData(inputs, {"left": torch.from_numpy(left), "right": torch.from_numpy(right)}, meta)
    return out
