"""Where an imported CN VII detaches from the brainstem (its RDP), from its course.

The atlas root (:func:`~mvd_sim.anatomy.nerves.build_facial_nerve`) lies on the brainstem
along its attached segment, then leaves it tangentially at the RDP: its surface's gap from
the brainstem is zero up to the RDP and grows about as the square of the arc beyond it,
``a * max(0, s - s_rdp)^2``. A threshold on the gap would place the RDP late by the arc
the gap takes to reach it (``sqrt(threshold / a)``, a millimetre or more for a root leaving
at a shallow angle), so the RDP is fitted.

An imaged root does not show that gap as it is, in two ways the fit models:

- a *floor* ``c``: the imaged attached segment stands off the brainstem by a constant tenth
  or two of a millimetre (the blurred junction and the fitted surface's residual); a fit
  without it can explain that standoff only by starting the rise early (at 0.6 mm voxels
  the bundled roots a VA deviates on their attached segment read 1.05-1.7 mm before the
  atlas' 5.5 mm, and their contacts moved from the AS to the RDP);
- *smoothing along the arc*: the label's blur, the sections' slabs and the centerline's
  spline round the corner where the root leaves, so the imaged gap is the true one seen
  through a window about a voxel wide. The model is the square's mean under a normal
  spread of the arc of standard deviation ``sigma = BLUR_VOXELS * voxel``:
  ``E[max(0, u + x)^2] = (u^2 + sigma^2) Phi(u / sigma) + u sigma phi(u / sigma)``,
  ``u = s - s_rdp``.

So the RDP is the ``s_rdp`` of the least-squares fit of
``gap(s) = c + a * E[max(0, s - s_rdp + x)^2]`` (``c, a >= 0``, in closed form for each
``s_rdp``, searched every :data:`STEP_MM`) to the root's gap (exact signed distance of
the centerline from the fitted brainstem, less the radius) over the arc where the gap is at
most :data:`NEAR_FIELD_MM` (beyond, the root's own bending takes over).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["BLUR_VOXELS", "NEAR_FIELD_MM", "STEP_MM", "detached_at", "smoothed_square"]

#: The fit uses the arc up to where the root's surface is this far (mm) off the brainstem.
NEAR_FIELD_MM = 1.5
#: Step (mm of arc) of the search for the RDP.
STEP_MM = 0.05
#: The imaged gap's smoothing along the arc, in voxels (standard deviation), fixed for
#: every case. One voxel: on closed forms (a tube lying on a plane or a sphere and leaving
#: it, imaged at 0.4-0.6 mm, ``tests/segmentation/test_detachment.py``) the fit reads
#: 0.05-0.2 mm less early than with none; two voxels would centre the closed forms on
#: average but read the bundled roots at 0.6 mm up to 2 mm late (7.55 mm for 5.5).
BLUR_VOXELS = 1.0


def smoothed_square(u: np.ndarray, sigma_mm: float) -> np.ndarray:
    """``E[max(0, u + x)^2]`` for ``x ~ N(0, sigma_mm^2)`` (mm^2; ``max(0, u)^2`` when
    ``sigma_mm`` is 0): a square's rise from ``u = 0`` seen through a normal window."""
    u = np.asarray(u, dtype=float)
    if sigma_mm <= 0.0:
        return np.maximum(u, 0.0) ** 2
    z = u / sigma_mm
    density = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return (u * u + sigma_mm * sigma_mm) * ndtr(z) + u * sigma_mm * density


def _residual(x: np.ndarray, gap: np.ndarray) -> float:
    """Sum of squares of ``gap - c - a x`` at the least-squares ``c, a >= 0``."""
    mx, mg = x.mean(), gap.mean()
    sxx = float((x - mx) @ (x - mx))
    a = float((x - mx) @ (gap - mg)) / sxx if sxx > 0.0 else 0.0
    c = mg - a * mx
    if c < 0.0:   # no floor: the fit through zero
        c, xx = 0.0, float(x @ x)
        a = float(x @ gap) / xx if xx > 0.0 else 0.0
    if a < 0.0:   # no rise: the floor alone
        a, c = 0.0, max(mg, 0.0)
    r = gap - c - a * x
    return float(r @ r)


def detached_at(s: np.ndarray, gap: np.ndarray, lowest_mm: float, highest_mm: float,
                *, voxel_mm: float) -> float:
    """Arc length (mm) of the RDP: see the module's docstring.

    Parameters
    ----------
    s : (n,) float, mm
        Arc length along the root from its start.
    gap : (n,) float, mm
        The root surface's distance from the brainstem at each ``s``.
    lowest_mm, highest_mm : float
        The RDP is sought in this interval (the landmark rules' bounds).
    voxel_mm : float
        The image's (largest) voxel spacing, which sets the smoothing the fit models
        (:data:`BLUR_VOXELS`); 0 for an exact course.
    """
    far = np.flatnonzero(gap > NEAR_FIELD_MM)
    end = far[0] if len(far) else len(s)
    s, gap = np.asarray(s[:end], dtype=float), np.maximum(gap[:end], 0.0)
    sigma = BLUR_VOXELS * voxel_mm
    best, best_err = lowest_mm, np.inf
    for candidate in np.arange(lowest_mm, highest_mm + 1e-9, STEP_MM):
        x = smoothed_square(s - candidate, sigma)
        if not x.any():
            continue
        err = _residual(x, gap)
        if err < best_err:
            best, best_err = float(candidate), err
    return best
