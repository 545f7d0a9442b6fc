"""The one way this package compiles its kernels with numba."""

from __future__ import annotations

from numba import njit

__all__ = ["compiled"]


def compiled(function):
    """``numba.njit`` with its machine code cached on disk (next to the module, else in the
    user's cache folder); where neither can be written numba refuses to cache, and the
    function is compiled afresh in each process instead."""
    try:
        return njit(cache=True)(function)
    except RuntimeError:
        return njit(function)
