"""Parameters and multiply-adds of a network at inference (paper 04, Fig. 5 and Fig. 9).

Multiply-adds are counted by PyTorch's own FLOP counter (:class:`torch.utils.flop_counter.FlopCounterMode`),
which counts the convolutions and matrix products of one call (2 FLOPs per multiply-add); element-wise work
(batch-norm, activations, SE gating, interpolation) is not counted. A single-tasking network's
``forward(x, tasks)`` runs one pass per task, so the count includes the T passes single-tasking costs (and only
one pass of the layers all tasks share, when nothing in them depends on the task).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from paper_mtl.models.modes import eval_mode


def count_parameters(model: nn.Module) -> int:
    """Number of distinct parameters of ``model`` (shared tensors counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


@torch.no_grad()
def multiply_adds(
    model: nn.Module, input_shape: Sequence[int], tasks: Sequence[str] | None = None,
    device: str | torch.device | None = None,
) -> int:
    """Multiply-adds of one inference call ``model(x)`` (or ``model(x, tasks=tasks)``) on an input of ``input_shape``.

    The model runs in eval mode on zeros of ``input_shape`` (batch dimension included) and is left in the mode it
    was in.
    """
    if len(input_shape) < 2 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be a batch shape such as (1, 3, 64, 64), got {tuple(input_shape)}")
    device = device or next(model.parameters()).device
    x = torch.zeros(*input_shape, device=device)
    with eval_mode(model), FlopCounterMode(display=False) as counter:
        model(x) if tasks is None else model(x, tasks=list(tasks))
    return counter.get_total_flops() // 2


def complexity(
    model: nn.Module, input_shape: Sequence[int], tasks: Sequence[str] | None = None,
    device: str | torch.device | None = None,
) -> dict[str, int]:
    """``{"params": ..., "multiply_adds": ...}`` of ``model`` for one inference call (see :func:`multiply_adds`)."""
    return {"params": count_parameters(model), "multiply_adds": multiply_adds(model, input_shape, tasks, device)}
