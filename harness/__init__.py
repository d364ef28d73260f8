"""The real app server and a real browser on loopback, for the tests and the benchmarks alike."""
