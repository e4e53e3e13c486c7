"""Benchmarks: scripts that print figures (and ratios against a baseline measured in the same
run); never timed tests. Run each from the checkout's root, e.g. ``python bench/online_cost.py``."""
