"""``make bench``: the kiosk's benchmarks and performance budgets (see docs/performance.md)."""
