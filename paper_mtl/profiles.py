"""Scale profiles and parameter validation shared by every notebook.

``smoke`` runs in seconds on a CPU (nbval, CI; numbers meaningless but deterministic); ``quick`` is the default of
``make reproduce`` on a 2-core CPU (all six notebooks within 30 minutes); ``paper`` targets one H100-class GPU, one lease per group of
:data:`PAPER_LEASES`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import torch

PROFILES = ("smoke", "quick", "paper")
PAPER_LEASE = "to fit one 9-minute GPU lease shared by the five papers' notebooks (figures/paper/budget.md)"
"""Why the paper profile is cut where it is: each experiment's ``PAPER_CUTS`` says what it leaves out."""
PAPER_LEASES: tuple[tuple[str, ...], ...] = (("01", "02", "03", "04", "05"), ("06",))
"""The notebooks (by number) that each GPU lease runs together at the paper profile: the five papers' notebooks
share one, the cross-paper benchmark (06) has its own (``NOTEBOOKS=06 bash tools/gpu-paper.sh``)."""
T = TypeVar("T")


DECISIVE_SEEDS = {"smoke": 2, "quick": 3, "paper": 3}
"""Seeds per model of a decisive comparison between trained models (paired by seed; :mod:`paper_mtl.claims`). The
other runs train one seed. ``paper`` trains 3, not 5, to stay within one GPU lease (figures/paper/budget.md)."""


def decisive_seeds(profile: str) -> int:
    """How many seeds each model of a decisive comparison trains at ``profile`` (:data:`DECISIVE_SEEDS`)."""
    return DECISIVE_SEEDS[check_profile(profile)]


def check_choice(name: str, value: object, choices: Iterable[object]) -> None:
    """Raise ``ValueError`` naming ``name``, the bad ``value`` and the valid ``choices`` unless value is one."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {choices}")


def check_profile(profile: str) -> str:
    check_choice("profile", profile, PROFILES)
    return profile


def by_profile(profile: str, smoke: T, quick: T, paper: T) -> T:
    """The value that belongs to ``profile``."""
    check_profile(profile)
    return {"smoke": smoke, "quick": quick, "paper": paper}[profile]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; an unavailable CUDA device is an error, not a fallback."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available here; use 'cpu' or 'auto'")
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {device!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'")
    return resolved


def check_parameters(profile: str, device: str = "auto", seed: int = 0) -> torch.device:
    """Validate a notebook's common papermill parameters before any work; returns the resolved device."""
    check_profile(profile)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return resolve_device(device)
