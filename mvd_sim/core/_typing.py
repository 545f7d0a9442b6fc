"""Array aliases used in signatures (all lengths in mm)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["Points", "Radii", "Vector", "FloatArray"]

FloatArray: TypeAlias = NDArray[np.float64]
#: ``(n, 3) float64`` points in mm.
Points: TypeAlias = NDArray[np.float64]
#: ``(n,) float64`` radii in mm.
Radii: TypeAlias = NDArray[np.float64]
#: ``(3,) float64`` vector.
Vector: TypeAlias = NDArray[np.float64]
