"""Exact geometry of segments, polylines, curves and tubes: pure functions over arrays and the
compiled kernels under them."""
