"""Experiments of notebook 02: class-wise weights on the auxiliary task against single-task training and Pareto MTL
(Yim & Kim, paper 02).

Data. Three procedural datasets stand in for the paper's three (:data:`DATASETS`): the street family for Virtual
KITTI (split 9:1, depth as inverse depth as the paper preprocesses VKITTI), the indoor family for NYUv2 (split in
NYUv2's 795:654 proportion, depth in metres) and a second street configuration for Cityscapes (another seed, its
2975:500 proportion, depth in tens of metres with the sky invalid, as Cityscapes has no disparity there). Tasks:
semantic segmentation T_s (cross-entropy over the family's classes) and depth T_d (L1 over valid pixels).

Real data. Where a converter's output is prepared (``data_scripts/prepare_nyuv2.py``,
``data_scripts/prepare_cityscapes.py``), it replaces its stand-in (:func:`data_source`): NYUv2 for ``indoor``,
Cityscapes for ``street_cs`` (Virtual KITTI has no converter, so ``street`` stays procedural). The first
``n_train`` images of the prepared ``train`` split and the first ``n_val`` of its ``test`` split (NYUv2's 654
test images, Cityscapes' 500 validation images: the paper's validation sets) are read at the profile's square
size, targets as the converters write them: NYUv2 depth in metres, Cityscapes depth as MTAN's disparity-derived
inverse depth (not the stand-in's z/10), 0 = invalid depth and -1 = unlabelled pixel in both, ignored by the
losses, the class-wise weights and the depth metrics. T_s's classes and their names come from the dataset's
manifest (:func:`manifest_class_names`). The source is part of every sweep configuration (``"data"``), so cached
runs on one source are never reused for the other, and each dataset's ``meta["source"]`` names it.

Model and training (Sec. 5.1–5.2). A U-Net with a shared contracting path and one expanding path per task
(:func:`~paper_mtl.models.unet.build_unet`; single-task runs have one), SGD with momentum 0.9 at lr 0.01, divided
by 10 at ``lr_drop`` epochs (the paper: after 20 epochs), batch 8. Methods (:data:`METHODS`):

- ``Single T_s`` / ``Single T_d``: one task alone; ``Linear sum``: L_s + L_d (on the street dataset for Table 1 and
  Table 2, and beside the sign-corrected runs on the profile's ``intent_datasets``).
- ``Ours (main T_s)``: :class:`~paper_mtl.weighting.classwise.ClasswiseWeighting` with depth auxiliary, quantised
  into ``depth_bins`` equally populated classes; ``Ours (main T_d)``: segmentation auxiliary, its classes. Weights
  fixed for the first ``warmup`` epochs (the paper: 20 for VKITTI and NYUv2, 12 for Cityscapes, i.e. at the lr
  drop, and 0.6 of it for Cityscapes), then Eq. 9–10 with step α = ``cw_lr`` every ``interval`` batches (room for
  a weight to reach zero: :func:`weight_updates`). ``Ours intent (main T_s / T_d)`` (:data:`INTENT`): the same with
  the sign-corrected reading of Eq. 10 (``update="intent"``), on the profile's ``intent_datasets``.
- ``Pareto (u)``: :class:`~paper_mtl.weighting.pareto.ParetoMTL` for each of the five preference vectors, the loss
  vector ordered (T_s, T_d) as the paper's figures are, so (0, 1) favours segmentation.

Every loss reported is the best validation loss over epochs ("we collected the best results from each method").
Depth-by-region metrics (Table 1) use the final model on the validation split, predictions clipped to the range
of the training depths. Every training run is one cached :func:`paper_mtl.sweep.run_sweep` configuration, so runs
shared by several tables train once. Functions return DataFrames and numbers; :mod:`paper_mtl.plots.classwise`
draws them.

Claims (:mod:`paper_mtl.claims`). Each claim of the paper is one function (:func:`table1_claim`,
:func:`table1_delta_claim`, :func:`figs_claim`, :func:`figs_intent_claim`, :func:`linear_sum_claim`,
:func:`weights_claim`, :func:`weights_intent_claim`, :func:`costs_aux_claim`, :func:`pareto_depth_claim`,
:func:`fig4_claim`, :func:`runtime_claim`) that quotes the paper's sentence, reads the
published numbers from :mod:`paper_mtl.published` and returns its checks. Seeds go to the decisive comparisons only
(:func:`~paper_mtl.profiles.decisive_seeds`, paired by seed; a seed also renders its own procedural data): single
T_d and the linear sum of Table 1, ours (main T_s / main T_d) and each one's strongest rival on every dataset
(Figures 2–4; each rival is chosen at the first seed and tested on the others) and the linear sum on the street
dataset; the sign-corrected runs (:func:`intent_comparison`) and, for the trade-off sentences
(:func:`tradeoffs`), single-task T_s and the paper's best Pareto point for the sentence's task train them too;
every other run trains one seed. Figure 1's sentence is conditional on a harmful class, which only a toy
establishes (:func:`harmful_class_toy`, seconds); the scene runs' weights are described. Table 2's noise is the
spread over interleaved timing rounds.
"""

from __future__ import annotations

# The package's files, one job each, import one way: config <- data <- runs <- analysis <- claims.
from paper_mtl.experiments.classwise.config import (
    DATASETS, DEPTH, INTENT, LINEAR, METHODS, PAPER_CUTS, PAPER_NAMES, PREFERENCES, PROCEDURAL, SEG, SETTINGS, DatasetSpec,
    Settings, settings,
)
from paper_mtl.experiments.classwise.data import (
    _dataset, class_names, data_source, data_sources, dataset, manifest_class_names, split_sizes, tasks_of,
)
from paper_mtl.experiments.classwise.runs import (
    depth_region_metrics, make_strategy, predict_depth, run_config, train_run, weight_updates,
)
from paper_mtl.experiments.classwise.analysis import (
    LOSS, METRICS, MODELS, OURS, SHORT, TIMED, TOY_CLASSES, TOY_SEEDS, TOY_UNITS, TRADEOFF_RUNS, ZERO, class_changes,
    comparison, depth_by_region, final_weights, harmful_class_toy, intent_comparison, loss_table,
    published_best_pareto, published_losses, region_table, runtime, runtime_table, published_rivals,
    strongest_competitors, toy_final_weights, tradeoffs, weight_history, weights_table,
)
from paper_mtl.experiments.classwise.claims import (
    INTENT_OF, costs_aux_claim, fig4_claim, figs_claim, figs_intent_claim, linear_sum_claim, pareto_depth_claim,
    runtime_claim, table1_claim, table1_delta_claim, weights_claim, weights_intent_claim,
)

__all__ = [
    # config
    "DATASETS", "DEPTH", "INTENT", "LINEAR", "METHODS", "PAPER_CUTS", "PAPER_NAMES", "PREFERENCES", "PROCEDURAL", "SEG", "SETTINGS",
    "DatasetSpec", "Settings", "settings",
    # data (``_dataset``: its cache is cleared by the tests)
    "_dataset", "class_names", "data_source", "data_sources", "dataset", "manifest_class_names", "split_sizes",
    "tasks_of",
    # runs
    "depth_region_metrics", "make_strategy", "predict_depth", "run_config", "train_run", "weight_updates",
    # analysis
    "LOSS", "METRICS", "MODELS", "OURS", "SHORT", "TIMED", "TOY_CLASSES", "TOY_SEEDS", "TOY_UNITS", "TRADEOFF_RUNS",
    "ZERO", "class_changes", "comparison", "depth_by_region", "final_weights", "harmful_class_toy",
    "intent_comparison", "loss_table", "published_best_pareto", "published_losses", "published_rivals",
    "region_table", "runtime", "runtime_table", "strongest_competitors", "toy_final_weights", "tradeoffs",
    "weight_history", "weights_table",
    # claims
    "INTENT_OF", "costs_aux_claim", "fig4_claim", "figs_claim", "figs_intent_claim", "linear_sum_claim",
    "pareto_depth_claim", "runtime_claim", "table1_claim", "table1_delta_claim", "weights_claim",
    "weights_intent_claim",
]
