"""Experiments of notebook 05: "Regularizing deep multi-task networks using orthogonal gradients" (paper 05).

MultiDigit (Sec. 4). Five models, all trained with Adam and the plain sum of the two cross-entropy losses:

======================== ============================ ===================================================
model (Table 1 row)      network (:func:`multidigit_net`) strategy
======================== ============================ ===================================================
No reg                   ``plain``                    equal weights, cosines monitored (:class:`CosineMonitor`)
Dropout                  ``dropout`` (p = 0.25)       equal weights, cosines monitored
Batchnorm                ``batchnorm``                equal weights, cosines monitored
CosReg(α=10)             ``plain``                    :class:`CosReg` with α = 10 (Eq. 4)
CosReg(α=0.1) + Batchnorm ``batchnorm``               :class:`CosReg` with α = 0.1
======================== ============================ ===================================================

Every step records cos(g_left, g_right) on the last shared layer (the encoder's second convolution); σ of these
cosines over training is Table 1's σ, their distribution Figure 2, their σ over rolling windows of 50 iterations
Figure 4 and their σ over the first epoch Figure 3's abscissa. Accuracy is the harmonic mean of the two digit
accuracies (test split for Table 1, validation for Figure 3), in percent. The paper does not give the number of
epochs; ours is a profile setting (below).

Scenes (Sec. 5.1, Table 2 analogue). Indoor procedural scenes stand in for NYUv2 (the prepared NYUv2 from
``data_scripts`` is used when present): semantic segmentation (the indoor family's 11 classes, every pixel
labelled; the paper's NYUv2 has 14 with background), z-depth in metres and surface normals, targets at a quarter
of the input resolution (paper: 320x320 inputs, 80x80 targets). A :class:`~paper_mtl.models.segnet.SegNet` with
one decoder per task, randomly initialised (the paper starts from ImageNet VGG16); cross-entropy for segmentation,
mean squared error for depth and for unit-normalised normals, as in the paper; errors 1 − mIoU, RMSE and
1 − |cos|. Methods: single-task networks, equal weights, GradNorm (α = 1.5), Kendall's uncertainty weighting and
CosReg with α = 10 times the detached mean task loss.

Profiles (epochs, sizes): see :data:`SETTINGS`. ``smoke`` and ``quick`` use 32x32 MultiDigit images (the digits
scale with the image) and far fewer images and epochs than the paper, and train the scene networks with
lr 1e-3 instead of 1e-4 because a randomly initialised network gets only a few hundred steps there.

Every training run is one cached :func:`paper_mtl.sweep.run_sweep` configuration, so a run shared by several
tables or figures (Table 1's runs are part of Figure 3's grid) trains once. Functions return DataFrames and
numbers; :mod:`paper_mtl.plots.orthogonal` draws them.
"""

from __future__ import annotations

# The package's files, one job each, import one way: config <- data <- runs <- analysis <- claims.
# ``_scenes`` is re-exported for the tests, which clear its cache.
from paper_mtl.experiments.orthogonal.config import (
    ERROR_COLUMNS, METHODS, MODELS, PAIR, PAPER_CUTS, SCENE_TASKS, SETTINGS, Settings, settings, settings_table,
)
from paper_mtl.experiments.orthogonal.data import (
    _scenes, digit_data, mean_depth, mean_depth_rmse, mean_normal_error, scene_data, scene_source, scene_tasks,
    split_pairs,
)
from paper_mtl.experiments.orthogonal.runs import (
    batch_size_runs, correlation, delta_m_runs, make_strategy, multidigit_config, scene_strategy, sigma_accuracy_grid, table1,
    single_task_runs, table2, train_multidigit, train_scenes,
)
from paper_mtl.experiments.orthogonal.analysis import (
    rolling_sigma, rolling_windows,
)
from paper_mtl.experiments.orthogonal.claims import (
    ACC_BEST_SENTENCE, ACC_REG_SENTENCE, BATCH_SENTENCE, MIXED_DIRECTIONS, MIXED_SENTENCE, START_SENTENCE, ALONE_TOLERANCE, ALPHA10, BEST, BN_GROUPS, CHANCE_ACC, DELTA_TOLERANCE,
    EARLY_SENTENCE, IMPROVES_SENTENCE, ROLLING_SENTENCE, SHORT, SIGMA_COSREG_SENTENCE, SIGMA_REG_SENTENCE,
    SIMILAR_SENTENCE, UNTRAINED_MARGIN, ZERO_SENTENCE, cosreg_beats_equal_weights_claim, cosreg_bn_best_claim,
    cosreg_competitive_claim, cosreg_lowers_sigma_claim, early_sigma_claim, per_seed,
    regularisers_lower_sigma_claim, regularisers_raise_accuracy_claim, rolling_claim, untrained, untrained_note,
    zero_centred_claim, batch_size_claim, equal_weights_mixed_claim, regularisers_start_low_claim,
)

__all__ = [
    "ERROR_COLUMNS", "METHODS", "MODELS", "PAIR", "PAPER_CUTS", "SCENE_TASKS", "SETTINGS", "Settings", "settings",
    "settings_table", "_scenes", "digit_data", "mean_depth", "mean_depth_rmse", "mean_normal_error", "scene_data",
    "scene_source", "scene_tasks", "split_pairs", "correlation", "delta_m_runs", "make_strategy",
    "multidigit_config", "scene_strategy", "sigma_accuracy_grid", "table1", "table2", "train_multidigit",
    "train_scenes", "rolling_sigma", "rolling_windows", "ACC_BEST_SENTENCE", "ACC_REG_SENTENCE", "ALONE_TOLERANCE",
    "ALPHA10", "BEST", "BN_GROUPS", "CHANCE_ACC", "DELTA_TOLERANCE", "EARLY_SENTENCE", "IMPROVES_SENTENCE",
    "ROLLING_SENTENCE", "SHORT", "SIGMA_COSREG_SENTENCE", "SIGMA_REG_SENTENCE", "SIMILAR_SENTENCE",
    "UNTRAINED_MARGIN", "ZERO_SENTENCE", "cosreg_beats_equal_weights_claim", "cosreg_bn_best_claim",
    "cosreg_competitive_claim", "cosreg_lowers_sigma_claim", "early_sigma_claim", "per_seed",
    "regularisers_lower_sigma_claim", "regularisers_raise_accuracy_claim", "rolling_claim", "untrained",
    "untrained_note", "zero_centred_claim", "batch_size_runs", "single_task_runs", "BATCH_SENTENCE",
    "MIXED_DIRECTIONS", "MIXED_SENTENCE", "START_SENTENCE", "batch_size_claim", "equal_weights_mixed_claim",
    "regularisers_start_low_claim",
]
