"""Experiments of notebook 01: Mao et al., "Multitask Learning Strengthens Adversarial Robustness" (supplement).

Data (:func:`scene_source`): the prepared Taskonomy (``data_scripts/prepare_taskonomy.py``, its building-disjoint
``train`` and ``test`` splits) when both splits exist, else procedural indoor scenes
(:func:`paper_mtl.data.scenes.render`), with the eleven Taskonomy tasks of the paper, by their letters (ANCHORS 01):

====== ==================== ========= ========================================================================
letter task                 paper     target as trained (following MTRobust's scaling where it applies)
====== ==================== ========= ========================================================================
s      segment_semantic     SemSeg    class id (11 classes; every pixel labelled), cross-entropy, mIoU
d      depth_zbuffer        DepthZ    log(1 + 512 z) / log(2^16), z in metres (Taskonomy stores 1/512 m units)
e      edge_texture         Edge2D    2 x - 1 (rescaled to [-1, 1])
k      keypoints2d          Key2D     2 x - 1
n      normal               Normal    unit normal, already in [-1, 1]
r      reshading            Reshad    2 x - 1
K      keypoints3d          Key3D     2 x - 1
D      depth_euclidean      DepthE    log(1 + 512 d) / log(2^16)
A      rgb (autoencoder)    AutoE     2 x - 1 of the input image
E      edge_occlusion       Edge3D    2 x - 1
p      principal_curvature  PCurve    2 k / (1 + k) - 1 for k >= 0 in 1/metre (a bounded squashing of ours)
====== ==================== ========= ========================================================================

Each regression target is then standardised per channel by the training split's mean and standard deviation (ours,
not MTRobust's: at our scale the compressed log-depth range made L1 learn nothing beyond a constant, and equal task
weights only mean something when losses start on one scale), and trained with plain L1. MTRobust masks geometric
tasks to pixels with valid depth; every pixel of our indoor scenes has valid depth, so that mask is all ones (the
library's ``masked_l1``, which reads a zero target as missing, would wrongly drop the zeros of edges, keypoints and
curvature). Segmentation uses plain cross-entropy (MTRobust adds a class-rebalancing prior). Reported numbers
follow the paper: mIoU for segmentation (higher is better), the mean per-image loss for every other task (lower is
better).

On Taskonomy (:func:`taskonomy_data`, :func:`scale_taskonomy`) the same scaling applies to the converter's
arrays, except that curvature, stored in [0, 1] with zero curvature near 127/255, gets MTRobust's 2 x - 1;
segmentation has the converter's 18 classes (unlabelled pixels ignored). Depth (d, D) and normals (n), which the
converter sets to 0 where there is no geometry, are standardised over valid pixels only, keep 0 at invalid ones and
are trained and scored with ``masked_l1`` (:data:`MASKED_LETTERS`); the other geometric tasks MTRobust masks by
depth (K, r, E, p) are scored on all pixels (see :mod:`paper_mtl.tasks`). The first ``n_train`` / ``n_test`` views
of each split are used, at ``size`` pixels. A prepared Taskonomy must hold every task the profile trains: each
experiment checks this before training and otherwise stops, naming the missing tasks (:func:`require_tasks`).
The source is part of every training configuration, so cached results never mix sources.

Attacks: L∞ PGD with ε = 4/255 and step 1/255 on images in [0, 1], random start uniform in the ball, the model
in eval mode; the step count is scaled by profile (the public code runs 50). A single-task attack maximises the
main task's loss only; a multi-task attack the unweighted sum of the attacked tasks' losses.

Training: Adam for every task, the learning rate divided by 10 for the last epochs (the paper uses SGD for some
tasks and Adam for others, 150 epochs with the rate divided by 10 at epoch 140; ours is sized per profile). Task
weights: the main task 1 and the auxiliary task λ_a ∈ {0.1, 0.01}, chosen per pair by the robust performance
(supplement Table 2); equal weights for the models of Figure 5. Algorithm 1 uses λ = 0.01.

Every training run goes through :func:`paper_mtl.sweep.run_sweep` (one cache), so a model shared by several
experiments (the single-task baselines of Table 1 and Figure 5) trains once and reruns are free. Functions
return DataFrames; :mod:`paper_mtl.plots.robustness` draws them.
"""

from __future__ import annotations

# The package's files, one job each, import one way:
# config <- data <- runs; config <- published_tables <- analysis <- claims.
from paper_mtl.experiments.robustness.config import (
    CITYSCAPES_LETTERS, CITYSCAPES_NAMES, FIGURE5_MODELS, FIGURE5_TRACKED, LETTERS_BY_NAME, MASKED_LETTERS,
    PAPER_CUTS, PAPER_NAMES, PAPER_TABLE1_MAINS, RobustnessSettings, SOURCES, TASK_LETTERS, check_letters,
    profile_letters, settings,
)
from paper_mtl.experiments.robustness.data import (
    algorithm1_source, cityscapes_data, masked_letters, require_tasks, scale_targets, scale_taskonomy, scene_data,
    scene_source, scene_tasks, settings_table, source_letters, standardise, taskonomy_data, taskonomy_letters,
)
from paper_mtl.experiments.robustness.runs import (
    _config, algorithm1_comparison, algorithm1_pairs, lemma1_gradient_norms, pair_table, robustness_vs_tasks,
    theory_curves, train_and_measure,
)
from paper_mtl.experiments.robustness.published_tables import (
    audit_table1, published_table1, published_table2, stated_counts,
)
from paper_mtl.experiments.robustness.analysis import (
    algorithm1_table, choose_lambda, figure5_comparison, published_subset, table1, table1_counts, table1_wide,
    table2_comparison,
)
from paper_mtl.experiments.robustness.claims import (
    ALGORITHM1_SENTENCE, ALWAYS_IMPROVED_SENTENCE, CITYSCAPES_SENTENCE, CITYSCAPES_UNTESTABLE, FIGURE5_SENTENCE,
    LEMMA1_SENTENCE, PREMISE_SENTENCE, TABLE1_SENTENCE, TABLE2_SENTENCE, TABLE2_UNTESTABLE, THEOREM1_SENTENCE,
    LEMMA1_UNTESTABLE, THEOREM1_UNTESTABLE, algorithm1_claim, audit_claim, cityscapes_claim, figure5_claim, lemma1_claim,
    table1_claim, table2_claim, text_audit_claim, theory_claim, caption_audit_claim, NOT_CHECKABLE,
)

__all__ = [
    # config
    "settings", "TASK_LETTERS", "PAPER_NAMES", "LETTERS_BY_NAME", "FIGURE5_MODELS", "PAPER_TABLE1_MAINS", "PAPER_CUTS",
    "FIGURE5_TRACKED", "CITYSCAPES_NAMES", "CITYSCAPES_LETTERS", "SOURCES", "MASKED_LETTERS", "check_letters",
    "profile_letters", "RobustnessSettings",
    # data
    "masked_letters", "scene_tasks", "scale_targets", "standardise", "scene_source", "algorithm1_source",
    "taskonomy_letters", "source_letters", "require_tasks", "scale_taskonomy", "taskonomy_data", "cityscapes_data",
    "scene_data", "settings_table",
    # runs (``_config``: the tests build configurations)
    "theory_curves", "_config", "train_and_measure", "robustness_vs_tasks", "lemma1_gradient_norms", "pair_table",
    "algorithm1_pairs", "algorithm1_comparison",
    # published_tables
    "stated_counts", "published_table2", "published_table1", "audit_table1",
    # analysis
    "figure5_comparison", "choose_lambda", "table1", "table1_wide", "table1_counts", "table2_comparison",
    "published_subset", "algorithm1_table",
    # claims
    "THEOREM1_SENTENCE", "THEOREM1_UNTESTABLE", "theory_claim", "LEMMA1_SENTENCE", "LEMMA1_UNTESTABLE", "lemma1_claim",
    "FIGURE5_SENTENCE", "figure5_claim", "TABLE1_SENTENCE", "table1_claim", "TABLE2_SENTENCE", "TABLE2_UNTESTABLE",
    "table2_claim", "audit_claim", "ALWAYS_IMPROVED_SENTENCE", "text_audit_claim", "caption_audit_claim", "NOT_CHECKABLE", "CITYSCAPES_SENTENCE",
    "CITYSCAPES_UNTESTABLE", "cityscapes_claim", "ALGORITHM1_SENTENCE", "PREMISE_SENTENCE", "algorithm1_claim",
]
