"""Convert Taskonomy's per-task PNG folders (e.g. the tiny split) into the on-disk format read by ``paper_mtl``.

    python data_scripts/prepare_taskonomy.py --src taskonomy_tiny/ [--tasks segment_semantic depth_zbuffer normal]
        [--size 256] [--test-fraction 0.2] [--seed 0] [--max-per-building N] [--drop-incomplete] [--root data/]

reads ``<src>/<task>/<building>/point_<p>_view_<v>_domain_<task>.png`` and writes ``<root>/taskonomy/`` with
building-disjoint splits ``train`` and ``test`` (array ``rgb`` plus one array per task).
"""

from __future__ import annotations

import argparse

from paper_mtl.data.converters import prepare_taskonomy
from paper_mtl.data.converters.taskonomy import TASKONOMY_TASKS
from paper_mtl.data.readers import describe_prepared
from paper_mtl.data.store import data_root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, help="the Taskonomy root holding one folder per task")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=[t for t in TASKONOMY_TASKS if t != "rgb"],
        help="tasks to convert (default: every task folder found)",
    )
    parser.add_argument("--size", type=int, default=256, help="output side in pixels (default 256)")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="fraction of buildings in test (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the building split and subsampling")
    parser.add_argument("--max-per-building", type=int, help="keep at most N views per building")
    parser.add_argument("--drop-incomplete", action="store_true", help="skip views that miss a task's label")
    parser.add_argument("--name", default="taskonomy", help="dataset name (default taskonomy)")
    parser.add_argument("--root", default=None, help=f"data directory to write into (default: {data_root()})")
    args = parser.parse_args(argv)
    target = prepare_taskonomy(
        args.src,
        args.root,
        tasks=args.tasks,
        size=args.size,
        test_fraction=args.test_fraction,
        seed=args.seed,
        max_per_building=args.max_per_building,
        drop_incomplete=args.drop_incomplete,
        name=args.name,
    )
    for line in describe_prepared(target.name, target.parent):
        print(f"wrote {line}")


if __name__ == "__main__":
    main()
