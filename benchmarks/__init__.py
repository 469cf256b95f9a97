"""Benchmarks: every comparison is a ratio of two timings taken in the same run on the same machine.

``make bench`` (``python -m benchmarks``) runs them on the CPU and, when present, the GPU, and writes
``benchmarks/RESULTS.md`` with the machine and device. Timed unit tests would flake on shared machines; these
interleave the two contenders and report medians instead. The modules (``benchmarks.__main__.MODULES``):

- ``bench_training_loop``: :func:`paper_mtl.training.fit` against a plain PyTorch loop;
- ``bench_strategies``: step time of each loss-combination strategy over the linear sum;
- ``bench_attacks``: our PGD against ``torchattacks.PGD``;
- ``bench_min_norm``: min-norm weights against ``torchjd``'s MGDA weighting;
- ``bench_selection``: network selection by branch-and-bound against the MILP;
- ``bench_render``: scene rendering throughput (scenes/s), and on the CPU issue 4's 2,000 scenes in 20 s as a ratio;
- ``bench_mfu``: achieved FLOP/s of paper-profile training steps, and model FLOP utilisation on known GPUs.

The last two report rates (``throughput`` with its ``unit``, and ``mfu``) rather than a timed baseline.
"""
