"""Where an imported CN VII detaches from the brainstem (its RDP), from its course.

The atlas root (:func:`~mvd_sim.anatomy.nerves.build_facial_nerve`) lies on the brainstem
along its attached segment, then leaves it tangentially at the RDP: its surface's gap from
the brainstem is zero up to the RDP and grows about as the square of the arc beyond it. So
the RDP of an imported root is the ``s_rdp`` of the least-squares fit of
``gap(s) = a * max(0, s - s_rdp)^2`` to its gap (exact signed distance of the centerline
from the fitted brainstem, less the radius) over the arc where the gap is at most
:data:`NEAR_FIELD_MM` (beyond, the root's own bending takes over), ``s_rdp`` searched every
:data:`STEP_MM` (``a`` in closed form for each).

A threshold on the gap alone would place the RDP late by the arc the gap takes to reach it
(``sqrt(threshold / a)``, a millimetre or more for a root leaving at a shallow angle).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NEAR_FIELD_MM", "STEP_MM", "detached_at"]

#: The fit uses the arc up to where the root's surface is this far (mm) off the brainstem.
NEAR_FIELD_MM = 1.5
#: Step (mm of arc) of the search for the RDP.
STEP_MM = 0.05


def detached_at(s: np.ndarray, gap: np.ndarray, lowest_mm: float, highest_mm: float
                ) -> float:
    """Arc length (mm) of the RDP: see the module's docstring.

    Parameters
    ----------
    s : (n,) float, mm
        Arc length along the root from its start.
    gap : (n,) float, mm
        The root surface's distance from the brainstem at each ``s``.
    lowest_mm, highest_mm : float
        The RDP is sought in this interval (the landmark rules' bounds).
    """
    far = np.flatnonzero(gap > NEAR_FIELD_MM)
    end = far[0] if len(far) else len(s)
    s, gap = s[:end], np.maximum(gap[:end], 0.0)
    best, best_err = lowest_mm, np.inf
    for candidate in np.arange(lowest_mm, highest_mm + 1e-9, STEP_MM):
        x = np.maximum(s - candidate, 0.0) ** 2
        xx = float(x @ x)
        if xx == 0.0:
            continue
        a = max(float(x @ gap) / xx, 0.0)
        err = float(np.sum((gap - a * x) ** 2))
        if err < best_err:
            best, best_err = float(candidate), err
    return best
