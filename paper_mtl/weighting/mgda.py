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

import torch
from torch import Tensor

from paper_mtl.gradients import Jacobian
from paper_mtl.weighting.base import GradientAggregation, StepContext
from paper_mtl.weighting.min_norm import min_norm_weights


class MGDA(GradientAggregation):
    """MGDA-UB: the shared representation gets the min-norm combination of the task gradients.

    A :class:`~paper_mtl.weighting.base.GradientAggregation` over the representation: the base takes g_t = ∂L_t/∂z
    and gives each decoder its own gradient. Logs ``weight.<task>`` (the α of this step, summing to 1) and
    ``mgda_fallback`` (1.0 when equal weights were used because the solver failed).
    """

    name = "mgda"
    over = "representation"
    synchronises = True  # the min-norm solver iterates to a tolerance and falls back on a non-finite result

    @staticmethod
    def weights(grads: Tensor) -> tuple[Tensor, bool]:
        """(α, whether the equal-weight fallback was used) for the task gradients ``grads`` (T, P)."""
        try:
            alpha = min_norm_weights(grads)
            fallback = not bool(torch.isfinite(alpha).all())
        except ValueError:
            fallback = True
        if fallback:
            alpha = torch.full((len(grads),), 1.0 / len(grads), device=grads.device)
        return alpha.to(grads.dtype), fallback

    def aggregate(self, jacobian: Jacobian, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float]]:
        alpha, fallback = self.weights(jacobian.matrix)
        logs = {f"weight.{t}": float(a) for t, a in zip(jacobian.tasks, alpha)}
        logs["mgda_fallback"] = float(fallback)
        return torch.einsum("t,tp->p", alpha, jacobian.matrix), logs
