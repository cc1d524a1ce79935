"""Benchmark ground: a synthetic portfolio generator and timings of the store's queries."""
