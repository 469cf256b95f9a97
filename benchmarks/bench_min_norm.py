"""The min-norm solver (shared by MGDA and Pareto MTL) against torchjd's MGDA weighting: weights and speed."""

from __future__ import annotations

import torch
from torchjd.aggregation import MGDAWeighting

from benchmarks.timing import compare
from paper_mtl.weighting import min_norm_weights


def run(device: torch.device) -> list[dict]:
    rows = []
    torchjd_weighting = MGDAWeighting()
    for tasks, params in ((2, 100_000), (5, 100_000), (10, 100_000)):
        g = torch.Generator().manual_seed(tasks)
        grads = torch.randn(tasks, params, generator=g).to(device) + 0.5
        ours = lambda: min_norm_weights(grads)  # noqa: E731
        theirs = lambda: torchjd_weighting(grads @ grads.T)  # noqa: E731
        diff = float((ours() - theirs().to(ours().dtype)).abs().max())
        norm_ours = float((ours() @ grads).norm())
        norm_theirs = float((theirs().to(grads.dtype) @ grads).norm())
        result = compare(theirs, ours, device, repeats=5)
        rows.append({"benchmark": f"min-norm weights vs torchjd MGDAWeighting, T={tasks}", "device": str(device), **result,
                     "goal": "same weights (|dw| < 1e-3) or a smaller norm", "met": diff < 1e-3 or norm_ours <= norm_theirs,
                     "note": f"max |dw|={diff:.1e}, norm ours {norm_ours:.4g} vs torchjd {norm_theirs:.4g}"})
    return rows
