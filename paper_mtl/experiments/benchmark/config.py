"""Notebook 06's constants and sizes: the task sets (:data:`TASK_SETS`), each profile's :class:`Settings`
(:func:`settings`, :data:`PAPER_CUTS`, :func:`settings_table`) and the task objects.

The benchmark is the indoor scenes' NYUv2 trio (segmentation, depth, normals; :data:`TRIO`) and a five-task
variant adding 2-D keypoints and texture edges (:data:`FIVE`). Every task is scored by the metric the papers use
on NYUv2: mIoU for segmentation (higher is better), RMSE in metres for depth, 1 − |cos| for normals, and the mean
absolute error for keypoints and edges (lower is better; each task's ``higher_is_better``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.profiles import check_choice, check_profile
from paper_mtl.tasks import Task, get_task

TRIO = ("segment_semantic", "depth_zbuffer", "normal")
FIVE = (*TRIO, "keypoints2d", "edge_texture")
TASK_SETS = {"trio": TRIO, "five": FIVE}
"""The benchmark's task sets by name."""


@dataclass(frozen=True)
class Settings:
    """Sizes of notebook 06 for one profile.

    Scenes of ``size`` × ``size`` pixels (inputs and labels), ``n_train`` / ``n_val`` / ``n_test`` of them; the
    shared-encoder network is the small hard-sharing net of ``width`` with decoders of ``decoder_width`` channels,
    trained ``epochs`` epochs at batch ``batch_size`` with Adam at ``lr``. ``variants`` are the task sets trained
    (:data:`TASK_SETS`) with the seeds each trains per row (the claims, decided on the trio, pair methods by seed). Robustness: paper 01's L∞ PGD at ε = ``eps`` with ``pgd_steps`` steps of ``eps / 4`` on
    ``n_attack`` test images. The cosines' σ is paper 05's rolling σ over windows of ``cosine_window`` steps (the
    paper's 50 where a run has enough steps), averaged over training.
    """

    size: int
    n_train: int
    n_val: int
    n_test: int
    width: float
    decoder_width: int
    epochs: int
    batch_size: int
    lr: float
    pgd_steps: int
    n_attack: int
    variants: tuple[tuple[str, int], ...]
    cosine_window: int
    eps: float = 4 / 255


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(size=16, n_train=32, n_val=16, n_test=16, width=0.25, decoder_width=4, epochs=1, batch_size=16,
                      lr=3e-3, pgd_steps=1, n_attack=16, variants=(("trio", 2), ("five", 1)), cosine_window=2),
    "quick": Settings(size=32, n_train=384, n_val=96, n_test=128, width=0.5, decoder_width=8, epochs=4,
                      batch_size=32, lr=3e-3, pgd_steps=3, n_attack=64, variants=(("trio", 3),), cosine_window=12),
    "paper": Settings(size=64, n_train=795, n_val=128, n_test=654, width=1.0, decoder_width=16, epochs=6,
                      batch_size=64, lr=2e-3, pgd_steps=5, n_attack=128, variants=(("trio", 5), ("five", 1)),
                      cosine_window=50),
}
"""Per-profile sizes. ``paper`` keeps NYUv2's split sizes (795 / 654) at 64 × 64 pixels, with five seeds on the trio
and one on the five-task variant (see :data:`PAPER_CUTS`)."""
PAPER_CUTS = (
    "64 × 64 scenes for 6 epochs at batch 64 (72 steps a network), PGD of 5 steps on 128 test images, and one seed of "
    "the five-task variant, to fit a 9-minute GPU lease of its own (paper_mtl.profiles.PAPER_LEASES; "
    "figures/paper/budget.md): the benchmark trains 23 networks per seed on the trio and 32 on the five tasks, each "
    "step a few hundred small kernels; NYUv2's 288 × 384 images for the methods' usual 200 epochs would take thousands "
    "of times the steps; `quick` trains the trio only (the five-task variant would double its time)"
)
"""What the paper profile leaves out, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def seeds(profile: str, variant: str) -> int:
    """How many seeds each row trains on ``variant`` at ``profile``; a variant the profile does not train is an error."""
    trained = dict(settings(profile).variants)
    if variant not in trained:
        raise ValueError(f"profile {profile!r} trains the task sets {list(trained)}, not {variant!r}")
    return trained[variant]


def variants(profile: str) -> list[str]:
    """The task sets ``profile`` trains, the trio first."""
    return [name for name, _ in settings(profile).variants]


def settings_table(profile: str) -> pd.DataFrame:
    """The profile's settings as a two-column table (for the notebook)."""
    return pd.DataFrame([{"setting": k, "value": str(v)} for k, v in asdict(settings(profile)).items()])


def task_objects(variant: str) -> dict[str, Task]:
    """The tasks of ``variant`` (a key of :data:`TASK_SETS`) with their losses and metrics."""
    check_choice("variant", variant, tuple(TASK_SETS))
    known = {
        "segment_semantic": get_task("segment_semantic", classes=len(scene_classes("indoor"))),
        "depth_zbuffer": get_task("depth_zbuffer", loss="masked_l1", metric="rmse"),
        "normal": get_task("normal", loss="masked_l1", metric="one_minus_abs_cos"),
        "keypoints2d": get_task("keypoints2d"),
        "edge_texture": get_task("edge_texture"),
    }
    return {t: known[t] for t in TASK_SETS[variant]}
