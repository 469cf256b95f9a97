"""Experiments of notebook 03: Standley et al., "Which tasks should be learned together in multi-task learning?".

Five tasks of the indoor procedural scenes stand in for the paper's Taskonomy tasks: semantic segmentation
``s`` (cross-entropy, 11 classes), z-buffer depth ``d``, surface normals ``n``, 2-D keypoints ``k`` and 2-D texture
edges ``e`` (L1). Regression labels are normalised to mean 0 and standard deviation 1 on the training split
(Sec. 4: "all data labels were normalized"); the total training loss is the plain sum of the task losses (the
paper's code; the paper's text says the mean, which only rescales the gradient, and Adam removes that scale).

Every candidate network is a hard-sharing network (:func:`paper_mtl.models.build_hard_sharing`): one encoder and
a light decoder per task. A network's inference cost is its encoder's multiply-adds in standard-network units
(SNT); a smaller network shrinks every encoder layer's channels (width) until its encoder has the required
multiply-adds, measured with :class:`torch.utils.flop_counter.FlopCounterMode` (:func:`width_for_cost`), the
decoder unchanged (Sec. 4). Training (Sec. 4, with the deviations the notebook states): Adam, the learning rate
halved at 60% and 80% of training, the checkpoint with the lowest validation loss kept. All trainings go through
:func:`paper_mtl.sweep.run_sweep` (cached on disk: a rerun trains only what is missing); the scenes are rendered
once per process and shared by every training (:func:`scene_splits`).

Profiles (:data:`SETTINGS`): ``smoke`` (16x16 images, 64 of them, one epoch: meaningless numbers for nbval),
``quick`` (16x16 images, 768 for training, five epochs: about 45 trainings, plus about 50 more for the extra seeds
of the decisive comparisons, on a 2-core CPU in a few minutes) and ``paper`` (64x64, every baseline budget of
Table 7 and a full-width ResNet-18 for Table 1, cut as :data:`PAPER_CUTS`; run once on an H200, under an
earlier verdict rule).

Functions return DataFrames and numbers; figures are drawn by :mod:`paper_mtl.plots.task_grouping`.
"""

from __future__ import annotations

from paper_mtl import published

from paper_mtl.experiments.task_grouping.config import (
    ENCODERS,
    HALF,
    LETTERS,
    METHODS,
    PAPER_COLUMNS,
    PAPER_CUTS,
    SETTINGS,
    STRATEGIES,
    TASKS,
    Settings,
    describe_profiles,
    letter_name,
    settings,
    task_objects,
)
from paper_mtl.experiments.task_grouping.published_tables import (
    approximation_gaps,
    half_size_claim,
    published_affinities,
    published_affinity_claim,
    published_approximation_gaps,
    published_half_size_losses,
    published_networks,
    published_optimal_claim,
    published_optimal_row,
    published_scalars,
)
from paper_mtl.experiments.task_grouping.data import (
    _encoder_macs,
    encoder_costs,
    scene_splits,
    width_for_cost,
)
from paper_mtl.experiments.task_grouping.runs import (
    SMALL_DATA,
    TABLE1,
    GroupingRuns,
    _candidates,
    resnet_retrain,
    run_baselines,
    run_groupings,
    seeded_solutions,
    seeded_specs,
    small_data,
    train_network,
)
from paper_mtl.experiments.task_grouping.analysis import (
    esa_points,
    hoa_points,
    qualitative,
    search_seconds,
    seeded_summary,
    selections,
    subset_study,
    table1,
    table5,
    table6,
    table7,
    table7_wide,
    task_affinities,
)
from paper_mtl.experiments.task_grouping.claims import (
    MODERATE_R,
    affinity_claim,
    esa_claim,
    gap_claim,
    grouping_claim,
    headline_claim,
    hoa_claim,
    one_snt_claim,
    resnet_claim,
    small_data_claim,
    subset_claim,
    weighting_claim,
)
from paper_mtl.experiments.task_grouping.structure import (
    affinity_extremes_claim,
    published_structure,
    esa_savings_claim,
    hoa_savings_claim,
    savings,
    search_time_claim,
    structure_claim,
)

# Every name used outside the package: the notebook (``E.<name>``, ``E.published`` being :mod:`paper_mtl.published`),
# tests/ (also ``_candidates`` and ``_encoder_macs``) and benchmarks/.
__all__ = [
    "published",
    "TASKS",
    "LETTERS",
    "PAPER_COLUMNS",
    "STRATEGIES",
    "ENCODERS",
    "HALF",
    "METHODS",
    "Settings",
    "SETTINGS",
    "PAPER_CUTS",
    "settings",
    "letter_name",
    "task_objects",
    "describe_profiles",
    "published_networks",
    "published_optimal_row",
    "published_scalars",
    "published_affinities",
    "published_half_size_losses",
    "published_approximation_gaps",
    "approximation_gaps",
    "published_optimal_claim",
    "published_affinity_claim",
    "half_size_claim",
    "scene_splits",
    "_encoder_macs",
    "width_for_cost",
    "encoder_costs",
    "train_network",
    "GroupingRuns",
    "_candidates",
    "run_groupings",
    "run_baselines",
    "seeded_specs",
    "seeded_solutions",
    "TABLE1",
    "resnet_retrain",
    "SMALL_DATA",
    "small_data",
    "selections",
    "table6",
    "table7",
    "table7_wide",
    "seeded_summary",
    "esa_points",
    "hoa_points",
    "task_affinities",
    "table1",
    "table5",
    "subset_study",
    "qualitative",
    "grouping_claim",
    "one_snt_claim",
    "headline_claim",
    "weighting_claim",
    "MODERATE_R",
    "esa_claim",
    "hoa_claim",
    "gap_claim",
    "affinity_claim",
    "resnet_claim",
    "small_data_claim",
    "subset_claim",
    "published_structure",
    "structure_claim",
    "affinity_extremes_claim",
    "savings",
    "esa_savings_claim",
    "hoa_savings_claim",
    "search_seconds",
    "search_time_claim",
]
