"""Loss-combination strategies for the one training loop (see :mod:`paper_mtl.weighting.base`)."""

from paper_mtl.weighting.base import StepContext, Strategy, WeightedSum

__all__ = ["StepContext", "Strategy", "WeightedSum"]
