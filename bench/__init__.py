"""Benchmarks against the reference libraries; each prints ratios measured in the same run."""
