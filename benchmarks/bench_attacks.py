"""``paper_mtl.attacks.pgd`` against torchattacks' PGD: same classifier, inputs and settings, random start off.

Goal: the same adversarial examples and at least as fast (ratio ours / torchattacks <= 1).
"""

from __future__ import annotations

import torch
import torchattacks
from torch import nn

from benchmarks.timing import compare
from paper_mtl.attacks import pgd


class Classifier(nn.Module):
    """A small CNN with the library's model protocol (``forward(x, tasks) -> dict``) and a plain view for torchattacks."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x, tasks=None):
        return {"label": self.net(x)}


def run(device: torch.device) -> list[dict]:
    torch.manual_seed(0)
    model = Classifier().to(device).eval()
    n = 256 if device.type == "cuda" else 64
    x = torch.rand(n, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (n,), device=device)
    eps, alpha, steps = 8 / 255, 2 / 255, 10
    theirs = torchattacks.PGD(model.net, eps=eps, alpha=alpha, steps=steps, random_start=False)
    loss = lambda out, t: nn.functional.cross_entropy(out["label"], t["label"])  # noqa: E731
    ours = lambda: pgd(model, x, {"label": y}, loss, eps, alpha, steps, random_start=False)  # noqa: E731
    same = torch.equal(ours(), theirs(x, y))
    max_diff = float((ours() - theirs(x, y)).abs().max())
    result = compare(lambda: theirs(x, y), ours, device)
    return [{"benchmark": "PGD vs torchattacks.PGD (random start off)", "device": str(device), **result,
             "goal": "identical x_adv and ratio <= 1", "met": same and result["ratio"] <= 1.0,
             "note": f"identical={same}, max |diff|={max_diff:.2e}"}]
