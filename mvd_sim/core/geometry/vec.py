"""Row-wise vector operations on (..., 3) arrays, cheaper than their numpy generics on short
arrays (``np.cross`` and ``np.linalg.norm`` shuffle axes and reduce over a length-3 axis, at
twice the cost or more)."""

from __future__ import annotations

import numpy as np

__all__ = ["cross", "dot", "norm", "unit", "reject"]


def cross(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (..., 3) arrays (broadcast against each other)."""
    x, y = np.asarray(x), np.asarray(y)
    out = np.empty(x.shape if x.shape == y.shape else np.broadcast_shapes(x.shape, y.shape))
    out[..., 0] = x[..., 1] * y[..., 2] - x[..., 2] * y[..., 1]
    out[..., 1] = x[..., 2] * y[..., 0] - x[..., 0] * y[..., 2]
    out[..., 2] = x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0]
    return out


def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise dot product of (..., 3) arrays: (...,)."""
    return np.einsum("...k,...k->...", x, y)


def norm(x: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean norm of (..., 3) arrays: (...,)."""
    return np.sqrt(dot(x, x))


def unit(x: np.ndarray) -> np.ndarray:
    """Row-wise unit vectors of (..., 3) arrays (a zero row gives NaNs)."""
    x = np.asarray(x, dtype=float)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def reject(x: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """The part of the vector ``x`` (3,) square to the unit vector ``axis`` (3,): ``x`` less
    its projection on ``axis`` (its projection onto the plane normal to ``axis``)."""
    return x - np.dot(x, axis) * axis
