"""Run every benchmark on the CPU and (when present) the GPU and write benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from paper_mtl.reporting import git_commit

MODULES = [
    "bench_training_loop", "bench_strategies", "bench_attacks", "bench_min_norm", "bench_selection", "bench_render",
    "bench_mfu",
]
RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return f"CPU {cpu} ({os.cpu_count()} cores), GPU {gpu}, torch {torch.__version__}, commit {git_commit()}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=MODULES, help="run only these benchmark modules")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--devices", nargs="*", choices=("cpu", "cuda"),
                        help="devices to time on (default: the CPU, and CUDA when present)")
    args = parser.parse_args()
    if args.devices and "cuda" in args.devices and not torch.cuda.is_available():
        parser.error("--devices cuda: CUDA is not available here")
    names = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    devices = [torch.device(name) for name in names]
    rows = []
    for name in args.only or MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        for device in devices:
            print(f"[bench] {name} on {device}", flush=True)
            rows.extend(module.run(device))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cells = table.astype(object).where(table.notna(), None)
    text = (f"# Benchmark results\n\nMachine: {machine()}.\nRun: {stamp}. Each ratio is ours / baseline, timed in the "
            f"same run (median of interleaved repeats); rows without a baseline report a throughput (and, on a GPU of "
            f"known peak, MFU = achieved / peak FLOP/s).\n\n"
            f"{cells.to_markdown(index=False, floatfmt='.4g', missingval='')}\n")
    args.output.write_text(text)


if __name__ == "__main__":
    main()
