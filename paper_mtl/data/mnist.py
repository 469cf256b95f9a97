"""Reader and converter for the official MNIST IDX files (gzipped or not).

IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte magic number ``0x00 0x00 <dtype code>
<number of dimensions>``, one big-endian uint32 per dimension, then the data in big-endian C order. MNIST ships
four files, ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``).

:func:`prepare_mnist` converts them once into the on-disk format of :mod:`paper_mtl.data.store` (dataset
``"mnist"``, splits ``train``/``test``, arrays ``image`` uint8 (n, 28, 28) and ``label`` int64 (n,)).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from paper_mtl.data.store import save_split, split_dir

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_SHAPE = (28, 28)
GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path} is a corrupt or truncated gzip file: expected a gzipped IDX file ({exc})") from exc


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not, detected from its content) into an array of native byte order.

    Raises ``FileNotFoundError`` if ``path`` does not exist and ``ValueError`` naming the file and what was
    expected if the magic number, the dtype code, the dimensions or the number of data bytes are wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path} is truncated: expected a 4-byte IDX magic number, found {len(raw)} bytes")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise ValueError(f"{path} is not an IDX file: expected magic number 0x0000XXYY, found 0x{raw[:4].hex()}")
    if code not in IDX_DTYPES:
        codes = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path} has IDX dtype code 0x{code:02X}; expected one of {codes}")
    if ndim < 1:
        raise ValueError(f"{path} declares {ndim} dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path} is truncated: expected a {header}-byte header for {ndim} dimensions, found {len(raw)} bytes"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        raise ValueError(
            f"{path} has {found} data bytes; expected {expected} for shape {list(dims)} of dtype {dtype.name}"
            + (" (file truncated)" if found < expected else " (trailing bytes)")
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def find_mnist_file(root: str | Path, name: str) -> Path:
    """The path of the official file ``name`` in ``root``, uncompressed or ``.gz``; ``FileNotFoundError`` if neither."""
    root = Path(root)
    for candidate in (root / name, root / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"MNIST file {name!r} not found: expected {root / name} or {root / name}.gz")


def has_mnist_files(root: str | Path) -> bool:
    """Whether ``root`` holds all four official MNIST files (each uncompressed or gzipped)."""
    root = Path(root)
    names = [name for pair in MNIST_FILES.values() for name in pair]
    return all((root / n).is_file() or (root / f"{n}.gz").is_file() for n in names)


def load_mnist(root: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the four official MNIST files in ``root``: ``{"train": (images, labels), "test": (images, labels)}``.

    ``images`` is uint8 (n, 28, 28), ``labels`` int64 (n,) in 0..9. A missing file raises ``FileNotFoundError``
    naming it; wrong shapes, dtypes, counts or labels raise ``ValueError`` naming the file.
    """
    out = {}
    for split, (image_name, label_name) in MNIST_FILES.items():
        image_path, label_path = find_mnist_file(root, image_name), find_mnist_file(root, label_name)
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_SHAPE:
            raise ValueError(
                f"{image_path} holds {images.dtype.name} {list(images.shape)}; expected uint8 [n, 28, 28] images"
            )
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(f"{label_path} holds {labels.dtype.name} {list(labels.shape)}; expected uint8 [n] labels")
        if len(labels) != len(images):
            raise ValueError(
                f"{label_path} has {len(labels)} labels; expected one per image of {image_path} ({len(images)})"
            )
        if labels.size and labels.max() > 9:
            raise ValueError(f"{label_path} has label {int(labels.max())}; expected digits 0..9")
        out[split] = (images, labels.astype(np.int64))
    return out


def prepare_mnist(src: str | Path, root: str | Path | None = None) -> Path:
    """Convert the official MNIST files in ``src`` into dataset ``"mnist"`` under ``root`` (default: ``data_root()``).

    Every file is read and checked before anything is written; each split is written atomically. Returns the
    dataset directory ``<root>/mnist``.
    """
    splits = load_mnist(src)
    for split, (images, labels) in splits.items():
        meta = {
            "source": "MNIST IDX files",
            "src": str(Path(src).resolve()),
            "files": [find_mnist_file(src, name).name for name in MNIST_FILES[split]],
            "classes": list(range(10)),
        }
        save_split("mnist", split, {"image": images, "label": labels}, meta=meta, root=root)
    return split_dir("mnist", "train", root).parent
