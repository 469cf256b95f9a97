"""Datasets: procedural scenes, MultiDigit, and readers for prepared real datasets.

Everything here returns numpy arrays or :class:`MultiTaskData`; nothing knows about models or training.
"""

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.store import data_root, load_split, save_split

__all__ = ["MultiTaskData", "data_root", "load_split", "save_split"]
