"""Convert PASCAL-Context multi-task (the PASCAL_MT folder layout of astmt) into the format read by ``paper_mtl``.

    python data_scripts/prepare_pascal.py --src PASCAL_MT/ [--tasks edge_texture segment_semantic parts normal saliency]
        [--size 512] [--num-human-parts 6] [--limit N] [--root data/]

reads ``JPEGImages/``, ``ImageSets/Context/{train,val}.txt``, ``pascal-context/trainval/``, ``semseg/``,
``human_parts/``, ``normals_distill/`` and ``sal_distill/`` and writes ``<root>/pascal_mt/`` with splits
``train`` and ``val`` (array ``rgb`` plus one array per task).
"""

from __future__ import annotations

import argparse

from paper_mtl.data.converters import prepare_pascal
from paper_mtl.data.converters.pascal import HUMAN_PARTS, PASCAL_TASKS
from paper_mtl.data.readers import describe_prepared
from paper_mtl.data.store import data_root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="the PASCAL_MT root directory")
    parser.add_argument("--tasks", nargs="+", choices=PASCAL_TASKS, default=list(PASCAL_TASKS), help="tasks to convert")
    parser.add_argument("--size", type=int, default=512, help="output side in pixels (default 512, as astmt)")
    parser.add_argument("--num-human-parts", type=int, default=6, choices=sorted(HUMAN_PARTS), help="part classes")
    parser.add_argument("--limit", type=int, help="convert only the first N images of each split")
    parser.add_argument("--name", default="pascal_mt", help="dataset name (default pascal_mt)")
    parser.add_argument("--root", default=None, help=f"data directory to write into (default: {data_root()})")
    args = parser.parse_args(argv)
    target = prepare_pascal(
        args.src,
        args.root,
        tasks=args.tasks,
        size=args.size,
        num_human_parts=args.num_human_parts,
        limit=args.limit,
        name=args.name,
    )
    for line in describe_prepared(target.name, target.parent):
        print(f"wrote {line}")


if __name__ == "__main__":
    main()
