"""The public entry point ``render``: argument checks, chunking over scenes and the one-thread CPU context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from paper_mtl.data.scenes.labels import _render_chunk
from paper_mtl.data.scenes.sampling import _scene_tables
from paper_mtl.data.scenes.schema import LABEL_KEYS, _BACKGROUND_CLASS, _CLASSES, _SLOTS, _check_family

_CHUNK_PIXELS = 1 << 17  # pixels rendered at once on the CPU (cache-friendly); on CUDA, larger chunks
_CHUNK_PIXELS_CUDA = 1 << 21


def _check_device(device: str | torch.device | None) -> torch.device:
    choices = "None (the CPU), 'cpu', 'cuda' or 'cuda:<index>' (when CUDA is available)"
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device={device!r} is not a valid device; choose one of {choices}") from err
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r} is not supported; choose one of {choices}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available; choose one of {choices}")
    return dev


def render(n: int, size: int = 64, family: str = "indoor", seed: int = 0,
           device: str | torch.device | None = None) -> dict[str, np.ndarray]:
    """Render ``n`` random scenes of ``family`` at ``size`` x ``size`` with every label of ``LABEL_KEYS``.

    Returns numpy arrays, channel-first (see the module docstring for each key). Scene ``i`` depends only on
    ``(seed, i, family)`` (its geometry is independent of ``size``), so a prefix of a larger render equals a
    smaller render, and the labels do not depend on how scenes are grouped into chunks. ``device`` selects where
    the rays are cast (CPU by default). The geometry of a scene does not depend on ``size`` either; only the
    texture anti-aliasing fade does (it depends on the pixel footprint), so rgb/albedo of far textures differ
    slightly between sizes.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} must be an integer >= 1")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size={size!r} must be an integer >= 8")
    _check_family(family)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} must be an integer >= 0")
    dev = _check_device(device)
    n, size = int(n), int(size)
    background = _CLASSES[family].index(_BACKGROUND_CLASS[family])
    channels = {"rgb": 3, "depth_zbuffer": 1, "depth_euclidean": 1, "normal": 3, "reshading": 1,
                "edge_texture": 1, "edge_occlusion": 1, "keypoints2d": 1, "keypoints3d": 1,
                "principal_curvature": 2, "albedo": 3}
    out: dict[str, np.ndarray] = {}
    for key in LABEL_KEYS:
        if key in channels:
            out[key] = np.empty((n, channels[key], size, size), dtype=np.float32)
        else:
            out[key] = np.empty((n, size, size), dtype=np.int64)
    chunk = max(1, (_CHUNK_PIXELS_CUDA if dev.type == "cuda" else _CHUNK_PIXELS) // (size * size))
    with _one_cpu_thread(dev):
        for first in range(0, n, chunk):
            count = min(chunk, n - first)
            slots, cams = _scene_tables(family, int(seed), first, count)
            labels = _render_chunk(torch.from_numpy(slots).to(dev), torch.from_numpy(cams).to(dev),
                                   _SLOTS[family], size, background)
            for key, value in labels.items():
                out[key][first:first + count] = value.cpu().numpy()
    return out


@contextlib.contextmanager
def _one_cpu_thread(dev: torch.device) -> Iterator[None]:
    """Run torch's CPU ops on one intra-op thread for the duration (restored afterwards).

    Rendering is thousands of small elementwise ops; on a shared 2-core machine two intra-op threads waiting
    for each other at every op made it 8-10x slower than one thread (benchmarks/bench_render.py), while one
    thread meets the speed goal with the other core left to the rest of the machine.
    """
    threads = torch.get_num_threads()
    if dev.type == "cpu" and threads > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
