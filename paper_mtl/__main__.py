"""Command line: ``python -m paper_mtl reproduce --profile quick`` and friends (``--help``)."""

from __future__ import annotations

import argparse
import math
import signal
import sys

from paper_mtl import pipeline
from paper_mtl.profiles import PROFILES


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper_mtl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="execute every notebook, regenerating figures/")
    run = sub.add_parser("run", help="execute chosen notebooks")
    for p in (rep, run):
        p.add_argument("--profile", default="quick", choices=PROFILES)
        p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (checked before any notebook)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--jobs", type=_positive(int), default=1,
                       help="notebooks run at once, each in its own process (default 1: one after another)")
        p.add_argument("--time-limit", type=_positive(float), metavar="SECONDS",
                       help="stop the notebooks still running after this many seconds (their finished sweeps stay cached)")
        p.add_argument("--dry-run", action="store_true",
                       help="execute on the CPU with 2 steps per epoch under bf16 autocast into a scratch folder, "
                            "and write the profile's predicted GPU time (budget.csv)")
    run.add_argument("--notebooks", nargs="+", required=True, metavar="NN")
    run.add_argument("--into", metavar="DIR", help="write the executed notebooks into DIR (figures and ledger rows "
                     "still go to $PAPER_MTL_FIGURES, default figures/)")
    gold = sub.add_parser("golden", help="store smoke executions under tests/notebooks/ for nbval")
    gold.add_argument("--notebooks", nargs="*", metavar="NN")
    sub.add_parser("ledger", help="re-render figures/CLAIMS.md and README's ledger summary from figures/claims.json")
    rep_site = sub.add_parser("report", help="render the executed notebooks and the ledger as a static site")
    rep_site.add_argument("--into", default="site", metavar="DIR", help="the site's folder (default site/)")
    args = parser.parse_args(argv)
    # A runner stopping this process at its time limit sends SIGTERM: exit through the normal unwinding, so
    # papermill shuts the notebook's kernel down and no half-written notebook is left.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if args.command == "golden":
            pipeline.golden(args.notebooks)
        elif args.command == "ledger":
            pipeline.refresh_ledger()
        elif args.command == "report":
            from paper_mtl.site import build_site

            print(f"[paper_mtl] report written: {build_site(args.into)}")
        else:
            pipeline.run(
                args.notebooks if args.command == "run" else None, args.profile, args.device, args.seed,
                jobs=args.jobs, time_limit=args.time_limit, dry_run=args.dry_run,
                into=getattr(args, "into", None),
            )
    except (pipeline.NotebookFailed, ValueError) as exc:
        print(f"[paper_mtl] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
