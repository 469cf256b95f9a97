"""Convert the preprocessed MTAN/LibMTL Cityscapes layout into the on-disk format read by ``paper_mtl``.

    python data_scripts/prepare_cityscapes.py --src cityscapes2/ [--classes 7] [--root data/]

reads ``train/`` and ``val/`` (``image``, ``label_<classes>`` or LibMTL's ``label``, ``depth`` .npy files) and
writes ``<root>/cityscapes<classes>/`` with splits ``train`` and ``test`` (arrays ``rgb``, ``segment_semantic``,
``depth_zbuffer``; the depth keeps MTAN's inverse-depth values).
"""

from __future__ import annotations

import argparse

from paper_mtl.data.converters import prepare_cityscapes
from paper_mtl.data.converters.cityscapes import CITYSCAPES_CLASSES
from paper_mtl.data.readers import describe_prepared
from paper_mtl.data.store import data_root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="the MTAN/LibMTL Cityscapes directory (train/, val/)")
    parser.add_argument("--classes", type=int, default=7, choices=CITYSCAPES_CLASSES, help="label set (default 7)")
    parser.add_argument("--name", help="dataset name (default cityscapes<classes>)")
    parser.add_argument("--root", default=None, help=f"data directory to write into (default: {data_root()})")
    args = parser.parse_args(argv)
    target = prepare_cityscapes(args.src, args.root, classes=args.classes, name=args.name)
    for line in describe_prepared(target.name, target.parent):
        print(f"wrote {line}")


if __name__ == "__main__":
    main()
