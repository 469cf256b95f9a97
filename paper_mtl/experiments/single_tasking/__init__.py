"""Experiments of notebook 04: Maninis, Radosavovic & Kokkinos, "Attentive single-tasking of multiple tasks".

Every table row of the paper is one configuration of :func:`~paper_mtl.models.task_conditioned.build_single_tasking`
(a *variant*: which SE modules / adapters are per task, whether the adversarial discriminator trains with it),
trained on procedural scenes that stand in for the paper's datasets, or on the real dataset where it has been
prepared (see below):

========== ======== ================================================ =========================================
dataset    family   tasks (table columns)                            stands in for
========== ======== ================================================ =========================================
``pascal`` indoor   edge, seg (11 classes), parts (8), norm, sal     PASCAL-Context with distilled normals/sal
``nyud``   indoor   edge, seg (11 classes), norm, depth (metres)     NYUD-v2
``fsv``    street   seg (3 classes), albedo, depth (disparity 1/z)   FSV (Free Supervision from Video games)
========== ======== ================================================ =========================================

Prepared datasets (:data:`PREPARED`, :func:`data_source`). When ``data_scripts/prepare_pascal.py`` has written
``pascal_mt`` (splits train/val), the PASCAL tables train on it: edge = ``edge_texture`` (thinned label-map
boundaries, max-pooled to the image size so the one-pixel edges survive the downsampling), seg = the 21 VOC classes,
parts = the human parts (``num_human_parts`` + 1 classes; images without a part pixel at our size are ignored),
norm = the distilled normals (zero = invalid, masked), sal = the thresholded distilled saliency; a ``pascal_mt``
prepared without one of these tasks (``--tasks``) is an error. When ``data_scripts/prepare_nyuv2.py`` has written
one of :data:`~paper_mtl.data.readers.NYUV2_NAMES` (the first found with train and test splits),
the NYUD tables train on its train split and validate on its test split: seg = its classes (as many as its manifest
says: 40 or 13 with a class map, 894 raw ids without), norm = its normals, depth = z-depth in metres (0 = invalid,
masked). NYUv2 has no edge annotation in either layout, so the NYUD edge column is computed from the segmentation
like the PASCAL converter's edges (:func:`~paper_mtl.data.edges.label_edges`: thinned boundaries of the
label map, unlabelled pixels counting as one more label): semantic boundaries, not the instance boundaries of the
paper's NYUD edges. Images are resized to the profile's square size (NYUv2's 4:3 frames are squeezed), and the
splits are cut to the profile's sizes (NYUv2 has 795 train and 654 test images). FSV has no converter: its tables
always use the street scenes. The data source enters every training configuration (``data``), so the sweep cache
never mixes results of procedural and real data, and it is ``meta["source"]`` of the loaded splits.

Losses and weights follow Appendix D: edges class-balanced binary cross-entropy (positives 0.95, negatives 0.05)
x50, segmentation cross-entropy x1, parts cross-entropy x2 (images without any object part are ignored, like
PASCAL images without people), normals L1 on unit vectors x10, saliency class-balanced BCE x5, depth L1 plus L1
of its Sobel gradients x1 (the loss of Eigen & Fergus), albedo L1 x10. Training, from scratch: SGD with momentum
0.9 and weight decay 1e-4, one forward pass and one optimiser step per task per mini-batch
(:class:`SingleTaskSteps`) with the shared layers' learning rate divided by T, the learning rate divided by 10 at
75% of training (the paper's poly schedule is not in the shared loop), Eq. 5 with w_d = 0.1 for adversarial rows
(the discriminator at the task layers' learning rate). Metrics: edges an ODS F-measure with a one-pixel tolerance
(:class:`EdgeF`), mIoU over the dataset (background included), mean angular error of normals, saliency max
F-measure (beta^2 = 0.3), depth RMSE per image then averaged, albedo mean absolute error. Δm is
:func:`paper_mtl.metrics.delta_m` (Eq. 4 printed as a drop: positive = worse than single-tasking) against the
single-task networks with the same backbone and decoder.

Capacity at the paper's sizes (:mod:`~paper_mtl.experiments.single_tasking.capacity`): parameters and
multiply-adds of our networks at full width on 512x512 inputs, counted on the meta device without training (Fig. 5's
per-task parameter shares, Fig. 9's MobileNetV2 against R-50), and the paper's Table 2 (single-task performance on
real benchmarks, shown beside a *not testable here* row).

Functions return DataFrames and numbers; figures are drawn by :mod:`paper_mtl.plots.single_tasking`. Training
runs go through :func:`paper_mtl.sweep.run_sweep` (one cache for all tables, so a row shared by several tables
trains once).
"""

from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.metrics import EdgeF, PerImageRMSE
from paper_mtl.tasks import EDGE, GRADIENT_DEPTH, UNIT_NORMAL, EdgeTask, GradientDepthTask, UnitNormalTask, sobel

from paper_mtl.experiments.single_tasking.config import (
    ALL_TABLES,
    EDGE_THRESHOLD,
    FIGURE5_VARIANTS,
    FSV_CLASSES,
    LABELS,
    LOSS_WEIGHTS,
    PAPER_CUTS,
    PAPER_TABLES,
    PERCENT,
    PROBED,
    RESNETS,
    SEA,
    SETTINGS,
    SINGLE,
    TABLES,
    VARIANTS,
    Settings,
    TableSpec,
    printed_backbone,
    settings,
)
from paper_mtl.experiments.single_tasking.data import (
    DATASETS,
    HIGHER_IS_BETTER,
    PREPARED,
    PreparedDataset,
    SceneDataset,
    _scene_data,
    check_prepared,
    data_source,
    dataset_tasks,
    pooled_edges,
    prepared_classes,
    prepared_split,
    procedural_source,
    scene_data,
    scene_targets,
    segmentation_edges,
)
from paper_mtl.experiments.single_tasking.probes import (
    display_prediction,
    feature_similarity,
    layer_features,
    probe_network,
    se_gates,
    shared_pca,
)
from paper_mtl.experiments.single_tasking.runs import (
    SEEDED,
    SWEEP,
    build_row_model,
    probe_rows,
    row_configs,
    run_rows,
    seeded_rows,
    train_row,
)
from paper_mtl.experiments.single_tasking.audit import (
    AUDITED,
    audit_published,
    delta_m_interval,
    drop_interval,
    published_table,
    rounding_interval,
    shared_intervals,
)
from paper_mtl.experiments.single_tasking.capacity import (
    CAPACITY_ROWS,
    PAPER_CLASSES,
    PAPER_IMAGE_SIZE,
    build_paper_size,
    capacity_row,
    paper_capacity,
    paper_tasks,
    table2,
    task_network_parameters,
    text_resources,
)
from paper_mtl.experiments.single_tasking.tables import (
    display_kinds,
    probes_of,
    profile_tables,
    resources,
    row_delta,
    run_table,
    seeded_summary,
    table_rows,
)

__all__ = [
    "scene_classes", "EdgeF", "PerImageRMSE", "EDGE", "GRADIENT_DEPTH", "UNIT_NORMAL", "EdgeTask", "GradientDepthTask",
    "UnitNormalTask", "sobel", "ALL_TABLES", "EDGE_THRESHOLD", "FIGURE5_VARIANTS", "FSV_CLASSES", "HIGHER_IS_BETTER",
    "LABELS", "LOSS_WEIGHTS", "PAPER_CUTS", "PAPER_TABLES", "PERCENT", "PROBED", "RESNETS", "SEA", "SETTINGS", "SINGLE",
    "TABLES", "VARIANTS", "Settings", "TableSpec", "printed_backbone", "settings", "DATASETS", "PREPARED",
    "PreparedDataset", "SceneDataset", "_scene_data", "check_prepared", "data_source", "dataset_tasks", "pooled_edges",
    "prepared_classes", "prepared_split", "procedural_source", "scene_data", "scene_targets", "segmentation_edges",
    "display_prediction", "feature_similarity", "layer_features", "probe_network", "se_gates", "shared_pca", "SEEDED",
    "SWEEP", "build_row_model", "probe_rows", "row_configs", "run_rows", "seeded_rows", "train_row", "AUDITED",
    "audit_published", "delta_m_interval", "drop_interval", "published_table", "rounding_interval", "shared_intervals",
    "display_kinds", "probes_of", "profile_tables", "resources", "row_delta", "run_table", "seeded_summary",
    "table_rows", "CAPACITY_ROWS", "PAPER_CLASSES", "PAPER_IMAGE_SIZE", "build_paper_size", "capacity_row",
    "paper_capacity", "paper_tasks", "table2", "task_network_parameters", "text_resources",
]
