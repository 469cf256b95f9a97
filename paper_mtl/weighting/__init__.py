"""Multi-task strategies for the one training loop (see :mod:`paper_mtl.weighting.base`).

Each strategy is a :class:`~paper_mtl.weighting.base.Strategy` of one of two kinds, a
:class:`~paper_mtl.weighting.base.LossWeighting` or a :class:`~paper_mtl.weighting.base.GradientAggregation`,
registered by name (:func:`get_strategy`, :func:`list_strategies`); ``min_norm_weights`` is the min-norm solver that
MGDA and Pareto MTL share. PCGrad, CAGrad, Nash-MTL, IMTL-G, Aligned-MTL and UPGrad come from torchjd
(:mod:`paper_mtl.weighting.jacobian_descent`).
"""

from paper_mtl.weighting.base import GradientAggregation, LossWeighting, StepContext, Strategy, WeightedSum
from paper_mtl.weighting.classwise import ClasswiseWeighting, classwise_gradient, quantile_bin_edges
from paper_mtl.weighting.cosreg import CosineMonitor, CosReg, TaskCosines
from paper_mtl.weighting.discriminator import AdversarialGradients
from paper_mtl.weighting.dwa import DWA
from paper_mtl.weighting.gradnorm import GradNorm
from paper_mtl.weighting.jacobian_descent import IMTLG, CAGrad, AlignedMTL, NashMTL, PCGrad, TorchJDAggregation, UPGrad
from paper_mtl.weighting.mgda import MGDA
from paper_mtl.weighting.min_norm import (
    MinNormConvergenceWarning,
    MinNormInfo,
    min_norm_weights,
    min_norm_weights_from_gram,
    project_to_simplex,
)
from paper_mtl.weighting.pareto import ParetoMTL, active_constraints, pareto_init_weights, pareto_weights, preference_vectors
from paper_mtl.weighting.registry import build, describe, get_strategy, list_strategies, register
from paper_mtl.weighting.uncertainty import Uncertainty

for _strategy in (WeightedSum, Uncertainty, GradNorm, DWA, MGDA, ParetoMTL, ClasswiseWeighting, CosReg, CosineMonitor,
                  AdversarialGradients, PCGrad, CAGrad, NashMTL, IMTLG, AlignedMTL, UPGrad):
    register(_strategy)

__all__ = [
    "DWA",
    "IMTLG",
    "MGDA",
    "AlignedMTL",
    "CAGrad",
    "GradientAggregation",
    "LossWeighting",
    "NashMTL",
    "PCGrad",
    "TorchJDAggregation",
    "UPGrad",
    "AdversarialGradients",
    "ClasswiseWeighting",
    "CosReg",
    "CosineMonitor",
    "GradNorm",
    "MinNormConvergenceWarning",
    "MinNormInfo",
    "ParetoMTL",
    "StepContext",
    "Strategy",
    "TaskCosines",
    "Uncertainty",
    "WeightedSum",
    "active_constraints",
    "classwise_gradient",
    "build",
    "describe",
    "get_strategy",
    "list_strategies",
    "min_norm_weights",
    "min_norm_weights_from_gram",
    "pareto_init_weights",
    "pareto_weights",
    "preference_vectors",
    "project_to_simplex",
    "quantile_bin_edges",
    "register",
]
