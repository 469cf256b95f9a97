"""Convert NYUv2 into the on-disk format read by ``paper_mtl``, from either of its usual layouts.

    # the official labeled set (needs h5py: pip install h5py) and the official 795/654 split
    python data_scripts/prepare_nyuv2.py --src nyu_depth_v2_labeled.mat --splits splits.mat \\
        [--class-map map40.npy] [--normals normals.npy] [--size 240 320] [--root data/]
    # the preprocessed MTAN/LibMTL layout (train/ and val/ with image, label, depth, normal .npy files)
    python data_scripts/prepare_nyuv2.py --src nyuv2/ [--root data/]

writes ``<root>/nyuv2_labeled/`` or ``<root>/nyuv2_mtan/`` with splits ``train`` and ``test`` (arrays ``rgb``,
``segment_semantic``, ``depth_zbuffer``, ``normal``). ``--class-map``: an .npy of 895 integers mapping each raw
NYUv2 id to a 1-based class (0 = unlabeled); without it the 894 raw classes are kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from paper_mtl.data.converters import prepare_nyuv2_mat, prepare_nyuv2_npy
from paper_mtl.data.readers import describe_prepared
from paper_mtl.data.store import data_root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="nyu_depth_v2_labeled.mat, or the MTAN/LibMTL directory")
    parser.add_argument("--splits", help="the official splits.mat (required with the .mat)")
    parser.add_argument("--class-map", help=".npy of 895 ints: raw id -> 1-based class, 0 = unlabeled")
    parser.add_argument("--normals", help=".npy of normals for all 1449 images (default: computed from depth)")
    parser.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), help="resize the .mat data to H x W")
    parser.add_argument("--name", help="dataset name (default nyuv2_labeled or nyuv2_mtan)")
    parser.add_argument("--root", default=None, help=f"data directory to write into (default: {data_root()})")
    args = parser.parse_args(argv)
    src = Path(args.src)
    if src.is_dir():
        extra = [
            flag
            for flag, value in (
                ("--splits", args.splits),
                ("--class-map", args.class_map),
                ("--normals", args.normals),
                ("--size", args.size),
            )
            if value
        ]
        if extra:
            parser.error(f"{extra} apply to the official .mat only, not to the MTAN/LibMTL directory {src}")
        target = prepare_nyuv2_npy(src, args.root, **({"name": args.name} if args.name else {}))
    else:
        if not args.splits:
            parser.error(
                "--splits <official splits.mat> is required with the .mat: the 795/654 train/test split "
                "is not stored in nyu_depth_v2_labeled.mat"
            )
        target = prepare_nyuv2_mat(
            src,
            args.splits,
            args.root,
            class_map=args.class_map,
            normals=args.normals,
            size=tuple(args.size) if args.size else None,
            **({"name": args.name} if args.name else {}),
        )
    for line in describe_prepared(target.name, target.parent):
        print(f"wrote {line}")


if __name__ == "__main__":
    main()
