"""Throughput of the procedural scene renderer (``paper_mtl.data.scenes.render``), all labels.

Goal (issue 10): scene rendering throughput on CPU and GPU. ``run(device)`` (``python -m benchmarks``) renders
every family of ``FAMILIES`` at 64 x 64 with all labels and reports scenes per second, with the CPU time and the
load average in the note, since the machine may be shared (a loaded machine shows wall time well above CPU time).
On the CPU it also states issue 4's target as a ratio: 2,000 scenes of 64 x 64 with every label in under 20 s on
a 2-core CPU. To keep the suite short it renders ``CPU_SCENES`` (500) scenes and scales the time linearly to 2,000
(rendering is chunked, so the time is linear in n past the first chunk); the row says so.

As a script it prints the same for any n and size:

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

SIZE = 64
CPU_SCENES, CUDA_SCENES = 500, 2000
GOAL_SCENES, GOAL_SECONDS = 2000, 20.0


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


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(device: torch.device) -> list[dict]:
    """One row per family: scenes/s at 64 x 64; on the CPU also the time for 2,000 scenes against the 20 s goal."""
    cpu = device.type == "cpu"
    n = CPU_SCENES if cpu else CUDA_SCENES
    rows = []
    for family in FAMILIES:
        wall, cpu_time = _measure(n, SIZE, family, str(device), repeat=1 if cpu else 3)
        row = {"benchmark": f"scene render, {family}, {SIZE}x{SIZE}, all labels", "device": str(device),
               "throughput": n / wall, "unit": "scenes/s", "goal": "report", "met": None,
               "note": f"{n} scenes in {wall:.2f} s wall ({cpu_time:.2f} s CPU), load average {_load()}"}
        if cpu:
            scaled = wall * GOAL_SCENES / n
            row.update(benchmark=row["benchmark"] + f": {GOAL_SCENES:,} scenes vs {GOAL_SECONDS:g} s (issue 4)",
                       baseline_s=GOAL_SECONDS, ours_s=scaled, ratio=scaled / GOAL_SECONDS, goal="ratio <= 1",
                       met=scaled <= GOAL_SECONDS)
            row["note"] += f"; ours_s is {n} scenes timed and scaled linearly to {GOAL_SCENES:,}"
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="scenes per render (default 2000)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--repeat", type=int, default=1, help="renders per setting; the fastest is reported")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, load average {_load()}")
    for device in devices:
        for family in FAMILIES:
            wall, cpu = _measure(args.n, args.size, family, device, args.repeat)
            print(f"{device:4s} {family:6s} n={args.n} size={args.size}: {wall:6.2f} s wall ({cpu:6.2f} s CPU), "
                  f"{args.n / wall:8.1f} scenes/s")


if __name__ == "__main__":
    main()
