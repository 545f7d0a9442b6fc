"""Compiled side reading of many directions across a nerve
(:func:`mvd_sim.core.approach.sides_of`, :func:`~mvd_sim.core.approach.reads_as`): a
contact's side question reads 720 directions round the nerve and some seventy turned sides
a request, numpy matrix products each, which cost more than the arithmetic.

numpy's matrix products round a row's projections in an order that depends on how many rows
there are (a row of 73 can differ in its last bit from the same row alone), so the
arithmetic here is not theirs to the bit. It needs not be: a direction's side is the axis
of its largest projection, and where that leads the next by more than any rounding of
either can change (:data:`_DECIDED_GAP` of the direction's size), every rounding names the
same side. A direction whose two largest projections are nearer is left undecided, and the
caller asks numpy.

Directions are (3,) rows, unitless; the axes (6, 3) are the unit patient axes of
:data:`mvd_sim.core.approach.SIDES`.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.compiled import FLOAT, INT, array, compiled

__all__ = ["read_sides", "sides_read_as"]

_P, _V = array(2, contiguous=True), array(1, contiguous=True)
_FLAGS = array(1, "bool", writable=True, contiguous=True)
_INDICES = array(1, "intp", writable=True, contiguous=True)
#: How far (in units of the direction's 1-norm) a direction's largest projection on a patient
#: axis must lead the next for its side to be decided without numpy: a dot product of three
#: terms is rounded within about 3.3e-16 of that norm, whatever the order of its terms.
_DECIDED_GAP = 1e-12


@compiled(FLOAT, FLOAT, FLOAT, _V, _P)
def _side(x0: float, x1: float, x2: float, tangent: np.ndarray, axes: np.ndarray) -> int:
    """Index into ``axes`` of the side of direction ``(x0, x1, x2)`` across a nerve of unit
    ``tangent`` (its component along the tangent removed, the axis of its largest
    projection), or -1 where the two largest are too near to decide (the module's rule)."""
    along = x0 * tangent[0] + x1 * tangent[1] + x2 * tangent[2]
    r0, r1, r2 = x0 - along * tangent[0], x1 - along * tangent[1], x2 - along * tangent[2]
    best, second, side = -np.inf, -np.inf, -1
    for a in range(len(axes)):
        v = r0 * axes[a, 0] + r1 * axes[a, 1] + r2 * axes[a, 2]
        if v > best:
            best, second, side = v, best, a
        elif v > second:
            second = v
    if not best - second > _DECIDED_GAP * (abs(x0) + abs(x1) + abs(x2)):
        return -1
    return side


@compiled(_P, _V, _P, _INDICES)
def read_sides(directions: np.ndarray, tangent: np.ndarray, axes: np.ndarray,
               sides: np.ndarray) -> bool:
    """Fill ``sides`` (k,) with :func:`mvd_sim.core.approach.sides_of` of ``directions``
    (k, 3) across a nerve of unit ``tangent``: each one's index into ``axes``.

    Returns
    -------
    bool
        False where a direction's side could not be decided (``sides`` is then incomplete:
        ask numpy).
    """
    for k in range(len(directions)):
        sides[k] = _side(directions[k, 0], directions[k, 1], directions[k, 2], tangent, axes)
        if sides[k] < 0:
            return False
    return True


@compiled(_P, INT, _V, _P, FLOAT, FLOAT, _FLAGS)
def sides_read_as(directions: np.ndarray, want: int, tangent: np.ndarray, axes: np.ndarray,
                  cos_margin: float, sin_margin: float, inside: np.ndarray) -> bool:
    """Fill ``inside`` (k,) with :func:`mvd_sim.core.approach.reads_as` of ``directions``
    (k, 3): does each read as side ``want`` (an index of the ``axes``) across a nerve of
    unit ``tangent``, and still when turned either way about it by the angle of cosine
    ``cos_margin`` and sine ``sin_margin``?

    The turned directions are numpy's to the bit (``cos d + (+-sin) (tangent x d)``, in that
    order); each one's side is decided as the module says.

    Returns
    -------
    bool
        False where a direction's side could not be decided (``inside`` is then incomplete:
        ask numpy).
    """
    t0, t1, t2 = tangent[0], tangent[1], tangent[2]
    for k in range(len(directions)):
        d0, d1, d2 = directions[k, 0], directions[k, 1], directions[k, 2]
        b0, b1, b2 = t1 * d2 - t2 * d1, t2 * d0 - t0 * d2, t0 * d1 - t1 * d0
        inside[k] = True
        for turn in range(3):
            x0, x1, x2 = d0, d1, d2
            if turn > 0:
                s = sin_margin if turn == 1 else -sin_margin
                x0, x1, x2 = (cos_margin * d0 + s * b0, cos_margin * d1 + s * b1,
                              cos_margin * d2 + s * b2)
            side = _side(x0, x1, x2, tangent, axes)
            if side < 0:
                return False
            if side != want:
                inside[k] = False
                break
    return True
