"""Converters from the official downloads of real datasets to the on-disk format of :mod:`paper_mtl.data.store`.

Users fetch the datasets themselves; each ``prepare_*`` function reads one official layout, writes every split
atomically (:class:`~paper_mtl.data.converters._common.DatasetBuilder`) and returns the dataset directory, which
:func:`paper_mtl.data.readers.load_prepared` then serves. Missing or corrupt files raise ``FileNotFoundError`` /
``ValueError`` naming the file and what was expected.
"""

from paper_mtl.data.converters.cityscapes import prepare_cityscapes
from paper_mtl.data.converters.nyuv2 import (
    convert_nyuv2_labeled,
    normals_from_depth,
    prepare_nyuv2,
    prepare_nyuv2_mat,
    prepare_nyuv2_npy,
)
from paper_mtl.data.converters.pascal import prepare_pascal
from paper_mtl.data.converters.taskonomy import prepare_taskonomy

__all__ = [
    "convert_nyuv2_labeled",
    "normals_from_depth",
    "prepare_cityscapes",
    "prepare_nyuv2",
    "prepare_nyuv2_mat",
    "prepare_nyuv2_npy",
    "prepare_pascal",
    "prepare_taskonomy",
]
