"""Throughput of the procedural scene renderer (``paper_mtl.data.scenes.render``), all labels.

Prints scenes per second for each family on the CPU, and on CUDA when available, together with the CPU time
and the load average, since the machine may be shared (a loaded machine shows wall time well above CPU time).
Target (issue 4): 2,000 scenes of 64 x 64 with every label in under 20 s on a 2-core CPU.

    .venv/bin/python benchmarks/bench_render.py [--n 2000] [--size 64] [--repeat 1]

``render`` runs its CPU ops on one intra-op thread (see ``paper_mtl.data.scenes._one_cpu_thread``), so on the
CPU the wall time tracks the CPU time unless other processes compete for the cores.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from paper_mtl.data.scenes import FAMILIES, render


def _measure(n: int, size: int, family: str, device: str, repeat: int) -> tuple[float, float]:
    """Best wall time and its CPU time (seconds) over ``repeat`` renders, after one small warm-up render."""
    render(2, size=size, family=family, device=device)
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter(), time.process_time()
        render(n, size=size, family=family, seed=1, device=device)
        if device == "cuda":
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="scenes per render (default 2000)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--repeat", type=int, default=1, help="renders per setting; the fastest is reported")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for device in devices:
        for family in FAMILIES:
            wall, cpu = _measure(args.n, args.size, family, device, args.repeat)
            print(f"{device:4s} {family:6s} n={args.n} size={args.size}: {wall:6.2f} s wall ({cpu:6.2f} s CPU), "
                  f"{args.n / wall:8.1f} scenes/s")


if __name__ == "__main__":
    main()
