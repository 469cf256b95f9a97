"""paper_mtl: a thin PyTorch library behind five reproducible multi-task-learning notebooks."""

__version__ = "0.1.0"
