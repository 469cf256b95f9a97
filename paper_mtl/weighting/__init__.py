"""Loss-combination strategies for the one training loop (see :mod:`paper_mtl.weighting.base`).

Each strategy is a :class:`~paper_mtl.weighting.base.Strategy`; ``min_norm_weights`` is the min-norm solver that
MGDA and Pareto MTL share.
"""

from paper_mtl.weighting.base import StepContext, Strategy, WeightedSum
from paper_mtl.weighting.classwise import ClasswiseWeighting, classwise_gradient, quantile_bin_edges
from paper_mtl.weighting.cosreg import CosineMonitor, CosReg
from paper_mtl.weighting.gradnorm import GradNorm
from paper_mtl.weighting.min_norm import (
    MinNormConvergenceWarning,
    MinNormInfo,
    min_norm_weights,
    min_norm_weights_from_gram,
    project_to_simplex,
)
from paper_mtl.weighting.pareto import ParetoMTL, active_constraints, pareto_init_weights, pareto_weights, preference_vectors
from paper_mtl.weighting.uncertainty import Uncertainty

__all__ = [
    "ClasswiseWeighting",
    "CosReg",
    "CosineMonitor",
    "GradNorm",
    "MinNormConvergenceWarning",
    "MinNormInfo",
    "ParetoMTL",
    "StepContext",
    "Strategy",
    "Uncertainty",
    "WeightedSum",
    "active_constraints",
    "classwise_gradient",
    "min_norm_weights",
    "min_norm_weights_from_gram",
    "pareto_init_weights",
    "pareto_weights",
    "preference_vectors",
    "project_to_simplex",
    "quantile_bin_edges",
]
