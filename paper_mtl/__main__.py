"""Command line: ``python -m paper_mtl reproduce --profile quick`` and friends (``--help``)."""

from __future__ import annotations

import argparse
import sys

from paper_mtl import pipeline
from paper_mtl.profiles import PROFILES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper_mtl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="execute every notebook in order, regenerating figures/")
    run = sub.add_parser("run", help="execute chosen notebooks in place")
    for p in (rep, run):
        p.add_argument("--profile", default="quick", choices=PROFILES)
        p.add_argument("--device", default="auto")
        p.add_argument("--seed", type=int, default=0)
    run.add_argument("--notebooks", nargs="+", required=True, metavar="NN")
    gold = sub.add_parser("golden", help="store smoke executions under tests/notebooks/ for nbval")
    gold.add_argument("--notebooks", nargs="*", metavar="NN")
    args = parser.parse_args(argv)
    try:
        if args.command == "golden":
            pipeline.golden(args.notebooks)
        else:
            numbers = args.notebooks if args.command == "run" else None
            pipeline.run(numbers, args.profile, args.device, args.seed)
    except (pipeline.NotebookFailed, ValueError) as exc:
        print(f"[paper_mtl] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
