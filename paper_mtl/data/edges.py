"""Edges of a label map as astmt builds PASCAL's edge targets: the non-zeros of the label map's Laplacian,
thinned to one pixel by Lam, Lee & Suen's algorithm (:func:`thin`, as ``skimage.morphology.thin``).

Shared by the PASCAL converter (which writes ``edge_texture``) and the experiments that derive the same edges
from procedural label maps.
"""

from __future__ import annotations

import numpy as np

# Neighbour bits of the thinning lookup tables: x1 = east, then counter-clockwise (x2 = north-east, ...).
_NEIGHBOUR_BITS = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]], dtype=np.uint8)


def _thin_luts() -> tuple[np.ndarray, np.ndarray]:
    """Deletion tables of Lam, Lee & Suen (1992, PAMI 14(9)) two-subiteration thinning, indexed by the 8-bit
    neighbourhood code: G1 (one 8-connected crossing), G2 (2 <= min(n1, n2) <= 3), and G3 (first
    subiteration: (x2 ∨ x3 ∨ ¬x8) ∧ x1 = 0) or G3' (second: (x6 ∨ x7 ∨ ¬x4) ∧ x5 = 0)."""
    first, second = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
    for code in range(256):
        x = [bool(code >> k & 1) for k in range(8)]  # x[0] = x1 ... x[7] = x8
        crossings = sum(1 for i in range(4) if not x[2 * i] and (x[2 * i + 1] or x[(2 * i + 2) % 8]))
        n1 = sum(x[2 * k] or x[2 * k + 1] for k in range(4))
        n2 = sum(x[2 * k + 1] or x[(2 * k + 2) % 8] for k in range(4))
        if crossings != 1 or not 2 <= min(n1, n2) <= 3:
            continue
        first[code] = not ((x[1] or x[2] or not x[7]) and x[0])
        second[code] = not ((x[5] or x[6] or not x[3]) and x[4])
    return first, second


_THIN_FIRST, _THIN_SECOND = _thin_luts()


def _neighbour_codes(image: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1)
    height, width = image.shape
    codes = np.zeros(image.shape, dtype=np.uint8)
    for dy in range(3):
        for dx in range(3):
            if _NEIGHBOUR_BITS[dy, dx]:
                codes |= padded[dy : dy + height, dx : dx + width] * _NEIGHBOUR_BITS[dy, dx]
    return codes


def thin(image: np.ndarray) -> np.ndarray:
    """Thin a binary image to one-pixel-wide curves (Lam, Lee & Suen 1992), as ``skimage.morphology.thin``:
    repeat both subiterations, each deleting in parallel the pixels its table marks, until nothing changes."""
    skeleton = np.asarray(image, dtype=bool).astype(np.uint8)
    count = int(skeleton.sum())
    while True:
        for table in (_THIN_FIRST, _THIN_SECOND):
            skeleton[table[_neighbour_codes(skeleton)]] = 0
        new_count = int(skeleton.sum())
        if new_count == count:
            return skeleton.astype(bool)
        count = new_count


def label_edges(label_map: np.ndarray) -> np.ndarray:
    """astmt's PASCAL edges: thinned non-zeros of the Laplacian (kernel [[0,1,0],[1,-4,1],[0,1,0]], border
    reflected without repeating the edge pixel, as OpenCV's default) of a label map."""
    labels = np.asarray(label_map, dtype=np.float64)
    padded = np.pad(labels, 1, mode="reflect")
    laplacian = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]) - 4 * labels
    return thin(laplacian != 0)
