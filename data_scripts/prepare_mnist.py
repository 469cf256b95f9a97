"""Convert the official MNIST IDX files (gzipped or not) into the on-disk format read by ``paper_mtl``.

    python data_scripts/prepare_mnist.py --src ~/Downloads/mnist [--root data/]

writes ``<root>/mnist/{train,test}/`` (arrays ``image`` uint8 (n, 28, 28) and ``label`` int64 (n,)); MultiDigit
(notebook 05) then uses MNIST instead of scikit-learn's digits.
"""

from __future__ import annotations

import argparse

from paper_mtl.data.mnist import MNIST_FILES, prepare_mnist
from paper_mtl.data.store import data_root, load_split


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="directory holding the four official MNIST files (.gz or not)")
    parser.add_argument("--root", default=None, help=f"data directory to write into (default: {data_root()})")
    args = parser.parse_args(argv)
    target = prepare_mnist(args.src, args.root)
    for split in MNIST_FILES:
        arrays, _ = load_split("mnist", split, root=args.root)
        shapes = ", ".join(f"{key} {arr.dtype.name}{list(arr.shape)}" for key, arr in arrays.items())
        print(f"wrote {target / split}: {shapes}")


if __name__ == "__main__":
    main()
