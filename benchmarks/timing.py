"""Timing helpers shared by the benchmarks: interleaved repeats, medians, device synchronisation."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds(fn: Callable[[], object], device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def compare(baseline: Callable[[], object], ours: Callable[[], object], device: torch.device, repeats: int = 3) -> dict:
    """Median seconds of ``baseline`` and ``ours`` over ``repeats`` interleaved runs (after one warm-up each)."""
    baseline(), ours()
    base, mine = [], []
    for _ in range(repeats):
        base.append(seconds(baseline, device))
        mine.append(seconds(ours, device))
    b, o = statistics.median(base), statistics.median(mine)
    return {"baseline_s": b, "ours_s": o, "ratio": o / b}
