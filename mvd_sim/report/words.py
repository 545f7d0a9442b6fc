"""What the reports' numbers mean, in words: a phase of the pulse, and where a pad sits on
CN VII.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.scene.scene import Scene

__all__ = ["SYSTOLE_LEVEL", "DIASTOLE_LEVEL", "phase_words", "nerve_place"]

#: A phase whose pulse level (0 end-diastole, 1 systolic peak) is at least this is systole.
SYSTOLE_LEVEL = 0.9
#: A phase whose pulse level is at most this is diastole.
DIASTOLE_LEVEL = 0.1


def phase_words(phase: float) -> str:
    """A phase of the cardiac cycle (0 = end-diastole, fraction of the cycle) as a surgeon
    reads it: how far into the cycle, and how distended the arteries are then.

    Examples
    --------
    >>> phase_words(0.141)
    '14% of the cardiac cycle (systole: arteries at 100% of their systolic distension)'
    >>> phase_words(0.95)
    '95% of the cardiac cycle (diastole: arteries at 0% of their systolic distension)'
    """
    level = float(pulse_level(phase))
    name = ("systole" if level >= SYSTOLE_LEVEL else "diastole" if level <= DIASTOLE_LEVEL
            else "between systole and diastole")
    return (f"{100 * phase:.0f}% of the cardiac cycle ({name}: arteries at "
            f"{100 * level:.0f}% of their systolic distension)")


def nerve_place(scene: Scene, point_mm: np.ndarray, nerve: str = "CN7") -> tuple[str, float]:
    """Where on ``nerve`` a point lies: the segment (``RExP``, ``AS``, ``RDP``, ``CP``) and
    the arc length s (mm from the root exit point, on the rest course, as the contact table
    gives it) of the nerve's point nearest to it, the nerve as placed in ``scene``.

    Parameters
    ----------
    scene : Scene
    point_mm : (3,) float, mm, scene frame
    nerve : str
    """
    placed, rest = scene.nerves[nerve], scene.rest_nerves[nerve]
    _, segment, u, _ = point_polyline(np.asarray(point_mm, float)[None], placed.points)
    k = int(segment[0])
    s_placed = placed.s[k] + float(u[0]) * (placed.s[k + 1] - placed.s[k])
    s_rest = float(np.interp(s_placed, placed.s, rest.s))
    return scene.landmarks[nerve].segment_at(s_rest), s_rest
