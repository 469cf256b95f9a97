"""MGDA-UB (Sener & Koltun, NeurIPS 2018): min-norm task weights on the shared representation's gradients.

Paper 03 compares against it as "Sener et al." (Sec. 4.1). Per step, with z = ``ctx.features`` the shared
encoder's output (the representation all decoders read):

* g_t = ∂L_t/∂z for every task (Sec. 3.3, the upper bound "MGDA-UB": gradients w.r.t. the representation
  instead of the shared parameters, one backward through the decoders only);
* α = argmin_{α ∈ simplex} ‖Σ_t α_t g_t‖² (:func:`paper_mtl.weighting.min_norm.min_norm_weights`), with no
  gradient normalisation (the variant paper 03's code uses);
* the shared encoder receives Σ_t α_t g_t, while each task's decoder receives its own unweighted gradient
  ∇_{θ_t} L_t (Sener & Koltun, Algorithm 2).

When the solver meets a numerical error (non-finite gradients) the step falls back to equal weights 1/T, as paper
03's code does. Its code also multiplies the encoder's gradient by √T; we keep Σ α_t = 1 as in Sener & Koltun
(the factor is a learning-rate scale, which Adam all but removes).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from paper_mtl.models.protocol import SharedRepresentation, SharesParameters
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import StepContext, Strategy
from paper_mtl.weighting.min_norm import min_norm_weights


class MGDA(Strategy):
    """MGDA-UB: the shared representation gets the min-norm combination of the task gradients.

    Logs ``weight.<task>`` (the α of this step, summing to 1) and ``mgda_fallback`` (1.0 when equal weights were
    used because the solver failed).
    """

    name = "mgda"
    synchronises = True  # the min-norm solver iterates to a tolerance and falls back on a non-finite result

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        if not isinstance(model, SharedRepresentation):
            raise ValueError(f"MGDA-UB needs a model with encode()/decode() (a shared representation); got {type(model).__name__}")
        shared = {id(p) for p in model.shared_parameters()} if isinstance(model, SharesParameters) else set()
        self.task_parameters = [p for p in model.parameters() if p.requires_grad and id(p) not in shared]

    def weights(self, losses: Mapping[str, Tensor], features: Tensor) -> tuple[Tensor, Tensor, bool]:
        """(α, per-task gradients (T, *features.shape), whether the equal-weight fallback was used)."""
        grads = torch.stack([torch.autograd.grad(loss, features, retain_graph=True)[0] for loss in losses.values()])
        flat = grads.reshape(len(grads), -1).float()
        try:
            alpha = min_norm_weights(flat)
            fallback = not bool(torch.isfinite(alpha).all())
        except ValueError:
            fallback = True
        if fallback:
            alpha = torch.full((len(grads),), 1.0 / len(grads), device=flat.device)
        return alpha.to(flat.dtype), grads, fallback

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float]:
        if ctx.features is None:
            raise ValueError("MGDA-UB needs ctx.features, the shared representation; the model must define encode()/decode()")
        alpha, grads, fallback = self.weights(losses, ctx.features)
        total = torch.stack(list(losses.values())).sum()
        if self.task_parameters:
            torch.autograd.backward(total, inputs=self.task_parameters, retain_graph=True)
        direction = torch.einsum("t,t...->...", alpha, grads.float()).to(ctx.features.dtype)
        ctx.features.backward(direction)
        logs = {f"weight.{t}": float(a) for t, a in zip(losses, alpha)}
        logs["mgda_fallback"] = float(fallback)
        return logs
