"""Benchmarks: each ``bench_<name>.py`` has ``main() -> None`` and prints ratios to a
baseline measured in the same run. ``make bench`` runs them all (``python -m bench``)."""
