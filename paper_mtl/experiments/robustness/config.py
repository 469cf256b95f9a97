"""Notebook 01's settings: the paper's task letters and names, the data sources, the profile cuts, and
:class:`RobustnessSettings` (the sizes per profile) with the letters a profile trains on."""

from __future__ import annotations

from dataclasses import dataclass, replace

from paper_mtl.profiles import PAPER_LEASE, by_profile, decisive_seeds


TASK_LETTERS: dict[str, str] = {
    "s": "segment_semantic", "d": "depth_zbuffer", "e": "edge_texture", "k": "keypoints2d", "n": "normal",
    "r": "reshading", "K": "keypoints3d", "D": "depth_euclidean", "A": "rgb", "E": "edge_occlusion",
    "p": "principal_curvature",
}
"""Paper 01's task letters (ANCHORS 01), in the column order of supplement Table 1 below."""

PAPER_NAMES: dict[str, str] = {
    "s": "SemSeg", "d": "DepthZ", "e": "Edge2D", "n": "Normal", "r": "Reshad", "k": "Key2D", "K": "Key3D",
    "D": "DepthE", "A": "AutoE", "E": "Edge3D", "p": "PCurve",
}
"""The names supplement Tables 1 and 2 print, in their column order."""

LETTERS_BY_NAME = {name: letter for letter, name in PAPER_NAMES.items()}
FIGURE5_MODELS = ("s", "sd", "sde", "sdek", "sdekn", "sdeknr", "d", "e", "er", "k", "ks", "ksd")
PAPER_TABLE1_MAINS = "sdekn"
"""The main tasks of Table 1 that the paper profile trains (each with all ten auxiliaries): what one GPU lease holds."""
PAPER_CUTS = (
    f"Table 1 with the main tasks {', '.join(PAPER_TABLE1_MAINS)} only (50 of the 110 pairs, each with both λ) and 3 "
    f"epochs (48 steps) a network, {PAPER_LEASE}: all 110 pairs for 8 epochs would take about 6 times "
    "the kernel launches (the epochs were cut from 4 to make room for the seeds). Algorithm 1 trains the paper's Cityscapes pair only (s+d and d+s), each model over 3 seeds "
    "(paired by seed), not four pairs over one seed: the seeds cost 2 extra adversarial trainings per model (about "
    "+10% of the notebook's GPU work; with the 2 extra seeds of the 5 single-task baselines about +16%)"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""
FIGURE5_TRACKED = ("s", "d", "e", "k")
CITYSCAPES_NAMES = ("cityscapes19", "cityscapes7", "cityscapes2")
"""Prepared Cityscapes datasets (``data_scripts/prepare_cityscapes.py``), in order of preference: Algorithm 1 trains
on the first one prepared (:func:`algorithm1_source`), as the paper ran it on Cityscapes."""
CITYSCAPES_LETTERS = "sd"
SOURCES = ("taskonomy", "indoor scenes", *CITYSCAPES_NAMES)
"""The data notebook 01 can train on (:func:`scene_source`, :func:`algorithm1_source`)."""
MASKED_LETTERS = "dDn"
"""Tasks whose all-zero targets mark pixels without geometry on Taskonomy (masked in standardisation, loss, metric)."""


def check_letters(letters: str) -> list[str]:
    """The task names of a model written in letters (``"sdk"``); unknown or repeated letters raise."""
    unknown = [c for c in letters if c not in TASK_LETTERS]
    if unknown or not letters or len(set(letters)) != len(letters):
        raise ValueError(f"bad task letters {letters!r}; use distinct letters from {''.join(TASK_LETTERS)}")
    return [TASK_LETTERS[c] for c in letters]


def profile_letters(settings: RobustnessSettings) -> str:
    """Every task letter some model of the profile trains on, in :data:`TASK_LETTERS` order."""
    used = set(settings.table1_mains) | set(settings.table1_auxes) | set("".join(settings.figure5_models))
    used |= set("".join(settings.algorithm1_pairs))
    return "".join(letter for letter in TASK_LETTERS if letter in used)


@dataclass(frozen=True)
class RobustnessSettings:
    """Sizes of notebook 01 per profile (see :func:`settings`)."""

    size: int
    n_train: int
    n_test: int
    encoder: str
    width: float
    decoder_width: int
    epochs: int
    lr_decay_epoch: int
    batch_size: int
    lr: float
    pgd_steps: int
    train_pgd_steps: int
    table1_mains: str
    table1_auxes: str
    figure5_models: tuple[str, ...]
    algorithm1_pairs: tuple[str, ...]
    theory_samples: int
    theory_dim: int
    lambdas: tuple[float, ...] = (0.1, 0.01)
    algorithm1_lambda: float = 0.01
    eps: float = 4 / 255
    step_size: float = 1 / 255
    render_seed: int = 0
    theory_correlations: tuple[float, ...] = (0.0, 0.1, 0.3, 0.6)
    theory_max_tasks: int = 11
    seeds: int = 1
    """Seeds of the models of a decisive comparison between trained models (:func:`paper_mtl.profiles.decisive_seeds`):
    the single-task baselines of Table 1 and every model of Algorithm 1; the other models train one seed."""

    @classmethod
    def _sizes(cls, profile: str) -> RobustnessSettings:
        return by_profile(
            profile,
            smoke=cls(size=16, n_train=32, n_test=16, encoder="small", width=0.5, decoder_width=8, epochs=1,
                      lr_decay_epoch=1, batch_size=16, lr=2e-3, pgd_steps=2, train_pgd_steps=1, table1_mains="sd",
                      table1_auxes="ek",
                      figure5_models=("s", "sd", "sde", "d", "e"), algorithm1_pairs=("sd",),
                      theory_samples=200, theory_dim=64),
            quick=cls(size=32, n_train=256, n_test=96, encoder="small", width=1.0, decoder_width=8, epochs=8,
                      lr_decay_epoch=6, batch_size=16, lr=3e-3, pgd_steps=4, train_pgd_steps=2, table1_mains="sdek",
                      table1_auxes="nrK", figure5_models=FIGURE5_MODELS, algorithm1_pairs=("sd", "ds"),
                      theory_samples=2000, theory_dim=64),
            paper=cls(size=64, n_train=1024, n_test=256, encoder="resnet18", width=0.5, decoder_width=32, epochs=3,
                      lr_decay_epoch=2, batch_size=64, lr=1e-3, pgd_steps=20, train_pgd_steps=5,
                      table1_mains=PAPER_TABLE1_MAINS,
                      table1_auxes="".join(PAPER_NAMES), figure5_models=FIGURE5_MODELS,
                      algorithm1_pairs=("sd", "ds"), theory_samples=5000,
                      theory_dim=512),
        )

    def table1_pairs(self) -> list[tuple[str, str]]:
        """(main, aux) letter pairs of the Table 1 analogue: every main with every other auxiliary."""
        return [(m, a) for m in self.table1_mains for a in self.table1_auxes if a != m]


def settings(profile: str) -> RobustnessSettings:
    """The :class:`RobustnessSettings` of ``profile``: smoke, seconds on a CPU; quick, ~5 min on 2 CPU cores; paper,
    one H100/H200, cut as :data:`PAPER_CUTS`."""
    return replace(RobustnessSettings._sizes(profile), seeds=decisive_seeds(profile))
