"""Benchmarks: every figure is a ratio of two timings taken in the same run on the same machine.

``make bench`` (``python -m benchmarks``) runs them on the CPU and, when present, the GPU, and writes
``benchmarks/RESULTS.md`` with the machine and device. Timed unit tests would flake on shared machines; these
interleave the two contenders and report medians instead.
"""
