"""How a vessel approaches a nerve: the side it presses from and the angle it crosses at.

One definition, used both where a contact is asked (:mod:`mvd_sim.anatomy.placement`) and
where it is reported (:mod:`mvd_sim.contact.analysis`), so that what is asked is what the
report says.

Side
    The direction from the nerve's centerline to the vessel's, with its component along the
    nerve removed, is named by the nearest patient axis (lateral, medial, anterior,
    posterior, rostral, caudal; :func:`side_of`). In the nerve's normal plane each side so
    owns one arc of directions, its *sector* (:func:`sector`); where the nerve runs
    nearly along an axis, that side's sector is narrow or empty (at the root exit point,
    running forward and up, *caudal* and *anterior* name nearly the same directions). A side
    is asked by placing the vessel on the direction nearest its axis at least
    :data:`SIDE_MARGIN_DEG` inside its sector (:func:`side_direction`) and is honoured when
    the report names it, i.e. the realised direction stays within the sector. A sector
    narrower than :data:`MIN_SECTOR_DEG` cannot be asked.
Crossing angle
    Asked as a *directed* angle ``a`` in 10-170 deg: from the nerve's direction (towards
    the porus) to the vessel's line, turned about the side direction ``n``, the line
    ``cos(a) t + sin(a) (n x t)``; ``a`` and ``180 - a`` are mirror-image crossings. Reported
    as the *line* angle 0-90 deg between nerve and vessel (:func:`crossing_angle_deg`), so a
    request ``a`` is honoured when the report is within :data:`ANGLE_TOLERANCE_DEG` of
    :func:`line_angle_deg` ``(a) = min(a, 180 - a)``.

Directions are (3,) floats in the scene frame (or the canonical right-sided frame with
``lateral = +x``); tangents are unit.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.core.approach_kernels import read_sides, sides_read_as
from mvd_sim.core.geometry.vec import cross
from mvd_sim.core.recent import Recent

__all__ = ["SIDES", "MIN_SECTOR_DEG", "SIDE_MARGIN_DEG", "ANGLE_TOLERANCE_DEG", "side_of",
           "sides_of", "sector", "side_direction", "reads_as", "usable_sides",
           "crossing_angle_deg", "angle_of_cosine_deg", "line_angle_deg", "MIN_CROSSING_DEG",
           "MAX_CROSSING_DEG", "crossing_angle_refusal"]

#: The anatomical sides, in tie-break order (the first wins a tie).
SIDES: tuple[str, ...] = ("lateral", "medial", "anterior", "posterior", "rostral", "caudal")
#: *estimate*: narrowest sector (deg of the nerve's normal plane) a side may be asked in;
#: a narrower one names a direction two sides share, and any slide of the vessel would
#: change its name.
MIN_SECTOR_DEG = 20.0
#: *estimate*: a vessel is placed at least this far (deg) inside its side's sector, so it
#: can settle a little without changing side.
SIDE_MARGIN_DEG = 5.0
#: *estimate*: largest difference (deg) between the line angle asked and the one reported.
#: Over 300 sampled cases (seed 11) the placed crossings landed within 1.7 deg of the asked
#: line angle in 95% of contacts; MRI measures crossing angles to a few degrees.
ANGLE_TOLERANCE_DEG = 5.0
#: The directed crossing angles (deg) that can be asked: a line angle under 10 deg runs
#: along the nerve rather than across it.
MIN_CROSSING_DEG, MAX_CROSSING_DEG = 10.0, 170.0
# anterior, posterior, rostral, caudal in the scene frame (lateral depends on the side)
_FIXED_AXES = ((0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0))
_CIRCLE_STEP_DEG = 0.5
_CIRCLE = np.radians(np.arange(0.0, 360.0, _CIRCLE_STEP_DEG))
# their cosines and sines as columns, taken once (every side question walks the circle)
_CIRCLE_COS, _CIRCLE_SIN = np.cos(_CIRCLE)[:, None], np.sin(_CIRCLE)[:, None]


def _axes(lateral: np.ndarray) -> np.ndarray:
    """(6, 3) unit patient axes in the order of :data:`SIDES`."""
    lateral = np.asarray(lateral, dtype=float)
    return np.array([lateral, -lateral, *_FIXED_AXES])


def sides_of(directions: np.ndarray, tangent: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """Index into :data:`SIDES` of each direction's side (vectorised :func:`side_of`).

    Parameters
    ----------
    directions : (k, 3) float
        From the nerve's centerline to the vessel's.
    tangent : (3,) float
        Unit nerve tangent there; its component is removed first.
    lateral : (3,) float
        Unit lateral direction of the case's side (``+x`` right, ``-x`` left).

    Returns
    -------
    (k,) int
    """
    d = np.atleast_2d(directions)
    # compiled, where every direction's side is decided whatever the rounding; else numpy's
    sides = np.empty(len(d), dtype=np.intp)
    tangent = np.ascontiguousarray(tangent, dtype=float)
    if read_sides(np.ascontiguousarray(d, dtype=float), tangent, _axes(lateral), sides):
        return sides
    d = d - (d @ tangent)[:, None] * tangent
    return np.argmax(d @ _axes(lateral).T, axis=1)   # the first on a tie


def side_of(direction: np.ndarray, tangent: np.ndarray, lateral: np.ndarray) -> str:
    """Anatomical side a vessel presses from: the patient axis nearest the direction from
    the nerve to the vessel, across the nerve.

    Parameters
    ----------
    direction : (3,) float
        From the nerve's centerline to the vessel's at the contact.
    tangent : (3,) float
        Unit nerve tangent there; its component is removed first.
    lateral : (3,) float
        Unit lateral direction of the case's side (``+x`` right, ``-x`` left).

    Examples
    --------
    >>> side_of(np.array([0.2, 0.0, -1.0]), np.array([1.0, 0.0, 0.0]), np.array([1.0, 0, 0]))
    'caudal'
    """
    return SIDES[int(sides_of(direction, tangent, lateral)[0])]


def _circle(tangent: np.ndarray) -> np.ndarray:
    """(720, 3) unit directions round the normal plane of the unit ``tangent``, 0.5 deg
    apart."""
    seed = np.eye(3)[int(np.argmin(np.abs(tangent)))]
    e1 = seed - np.dot(seed, tangent) * tangent
    e1 /= np.linalg.norm(e1)
    e2 = cross(tangent, e1)
    return _CIRCLE_COS * e1 + _CIRCLE_SIN * e2


def _circle_sides(tangent: np.ndarray, lateral: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_circle` of ``tangent`` and the side of each of its directions
    (:func:`sides_of`), kept for the last few (tangent, lateral): a side question asks
    which sides can be used at a point and then each one's sector there."""
    def make() -> tuple[np.ndarray, np.ndarray]:
        circle = _circle(tangent)
        found = (circle, sides_of(circle, tangent, lateral))
        for array in found:
            array.flags.writeable = False
        return found

    return _RECENT_CIRCLES.fetch((tangent.tobytes(),
                                  np.asarray(lateral, dtype=float).tobytes()), make)


_RECENT_CIRCLES: Recent[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray]] = Recent(8)


def sector(side: str, tangent: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """The directions across a nerve that read as ``side``, 0.5 deg apart in order along
    their arc (one arc: an intersection of half-planes).

    Parameters
    ----------
    side : str
        One of :data:`SIDES`.
    tangent : (3,) float
        Unit nerve tangent.
    lateral : (3,) float
        Unit lateral direction.

    Returns
    -------
    (m, 3) float
        Unit directions normal to ``tangent``; the sector is ``m / 2`` deg wide (0 rows
        where no direction reads as ``side``).

    Examples
    --------
    >>> len(sector("rostral", np.array([1.0, 0, 0]), np.array([1.0, 0, 0]))) / 2
    90.0
    """
    circle, sides = _circle_sides(np.asarray(tangent, dtype=float), lateral)
    mine = sides == SIDES.index(side)
    if not np.any(mine):
        return circle[:0]
    # start after a sample outside the arc, so it does not wrap
    outside = int(np.argmin(mine))
    start = outside + int(np.argmax(np.concatenate((mine[outside:], mine[:outside]))))
    return circle[(start + np.arange(int(np.count_nonzero(mine)))) % len(circle)]


def side_direction(side: str, tangent: np.ndarray, lateral: np.ndarray) -> np.ndarray | None:
    """The direction across a nerve to place a vessel asked to come from ``side``: of the
    directions at least :data:`SIDE_MARGIN_DEG` inside the side's sector, the nearest to
    its patient axis (the axis projected into the normal plane, where that lies inside).

    Returns
    -------
    (3,) float or None
        Unit, normal to ``tangent``; None where the sector is narrower than
        :data:`MIN_SECTOR_DEG` (the nerve runs nearly along the side's axis).

    Examples
    --------
    >>> side_direction("caudal", np.array([1.0, 0, 0]), np.array([1.0, 0, 0])).round(6) + 0.0
    array([ 0.,  0., -1.])
    """
    # kept for the last few questions: a sampled case asks each side at a contact's point,
    # and its build asks the side drawn there again
    key = (side, np.asarray(tangent, dtype=float).tobytes(),
           np.asarray(lateral, dtype=float).tobytes())
    found = _RECENT_DIRECTIONS.fetch(key, lambda: _side_direction(side, tangent, lateral))
    return None if found is None else found.copy()


def _side_direction(side: str, tangent: np.ndarray, lateral: np.ndarray) -> np.ndarray | None:
    """:func:`side_direction`, computed."""
    arc = sector(side, tangent, lateral)
    if len(arc) * _CIRCLE_STEP_DEG < MIN_SECTOR_DEG:
        return None
    margin = int(round(SIDE_MARGIN_DEG / _CIRCLE_STEP_DEG))
    inner = arc[margin:len(arc) - margin]
    return inner[int(np.argmax(inner @ _axes(lateral)[SIDES.index(side)]))]


_RECENT_DIRECTIONS: Recent[tuple[str, bytes, bytes], np.ndarray | None] = Recent(32)


def reads_as(directions: np.ndarray, side: str, tangent: np.ndarray, lateral: np.ndarray,
             margin_deg: float = SIDE_MARGIN_DEG) -> np.ndarray:
    """(k,) bool: do ``directions`` (k, 3) read as ``side`` across a nerve of unit
    ``tangent``, and still do when turned ``margin_deg`` either way about it?"""
    want = SIDES.index(side)
    d = np.atleast_2d(directions)
    cos, sin = np.cos(np.radians(margin_deg)), np.sin(np.radians(margin_deg))
    # compiled, where every direction's side is decided whatever the rounding; else numpy's
    inside = np.empty(len(d), dtype=bool)
    if sides_read_as(np.ascontiguousarray(d, dtype=float), want,
                     np.ascontiguousarray(tangent, dtype=float), _axes(lateral), float(cos),
                     float(sin), inside):
        return inside
    binormals = cross(tangent, d)   # as np.cross, without its axis shuffling
    inside = sides_of(d, tangent, lateral) == want
    for sign in (1.0, -1.0):
        inside &= sides_of(cos * d + sign * sin * binormals, tangent, lateral) == want
    return inside


def usable_sides(tangent: np.ndarray, lateral: np.ndarray) -> list[str]:
    """The sides whose sector is at least :data:`MIN_SECTOR_DEG` wide across a nerve of unit
    ``tangent`` (the sides that can be asked there), in the order of :data:`SIDES`."""
    # each sector's width, from one pass round the circle (as len(sector(side, ...)) / 2)
    counts = np.bincount(_circle_sides(np.asarray(tangent, dtype=float), lateral)[1],
                         minlength=len(SIDES))
    return [s for s, count in zip(SIDES, counts) if count * _CIRCLE_STEP_DEG >= MIN_SECTOR_DEG]


def crossing_angle_deg(tangent: np.ndarray, axis: np.ndarray) -> float:
    """Line angle (deg, 0-90) between a nerve's unit ``tangent`` and a vessel's unit
    ``axis``.

    Examples
    --------
    >>> round(crossing_angle_deg(np.array([1.0, 0, 0]), np.array([-1.0, 1.0, 0]) / 2**0.5))
    45
    """
    return angle_of_cosine_deg(float(np.dot(tangent, axis)))


def angle_of_cosine_deg(cosine: float) -> float:
    """Line angle (deg, 0-90) between two unit directions whose dot product is ``cosine``
    (:func:`crossing_angle_deg` of a dot product already taken).

    Examples
    --------
    >>> angle_of_cosine_deg(-0.5)
    59.99999999999999
    """
    return float(np.degrees(np.arccos(min(abs(cosine), 1.0))))


def line_angle_deg(directed_deg: float) -> float:
    """The line angle (deg, 0-90) of a directed crossing angle (deg, 0-180).

    Examples
    --------
    >>> line_angle_deg(170.0), line_angle_deg(85.0)
    (10.0, 85.0)
    """
    return float(min(directed_deg, 180.0 - directed_deg))


def crossing_angle_refusal(directed_deg: float) -> str | None:
    """Why a directed crossing angle cannot be asked, saying what would work (one line), or
    None where it can (:data:`MIN_CROSSING_DEG` to :data:`MAX_CROSSING_DEG`).

    Examples
    --------
    >>> print(crossing_angle_refusal(175.0))  # doctest: +NORMALIZE_WHITESPACE
    crossing angles are directed, 10-170 degrees; 175 crosses the nerve at a line angle of
    5 degrees (the mirror image of 5), below the 10-degree minimum: the flattest crossing
    that way is 170
    >>> print(crossing_angle_refusal(190.0))  # doctest: +NORMALIZE_WHITESPACE
    crossing angles are directed, 10-170 degrees; 190 is the same crossing as 10 (they
    repeat every 180 degrees): ask 10
    >>> crossing_angle_refusal(85.0) is None
    True
    """
    if MIN_CROSSING_DEG <= directed_deg <= MAX_CROSSING_DEG:
        return None
    head = (f"crossing angles are directed, {MIN_CROSSING_DEG:g}-{MAX_CROSSING_DEG:g} "
            f"degrees; {directed_deg:g}")
    same = directed_deg % 180.0   # the same line, run the other way, every 180 deg
    if MIN_CROSSING_DEG <= same <= MAX_CROSSING_DEG:
        return f"{head} is the same crossing as {same:g} (they repeat every 180 degrees): " \
               f"ask {same:g}"
    if 0.0 <= directed_deg <= 180.0:
        same = directed_deg
    else:
        head += f" is the same crossing as {same:g}, which"
    line = line_angle_deg(same)
    mirror = f" (the mirror image of {line:g})" if same > 90.0 else ""
    flattest = MAX_CROSSING_DEG if same > 90.0 else MIN_CROSSING_DEG
    return (f"{head} crosses the nerve at a line angle of {line:g} degrees{mirror}, below the "
            f"{MIN_CROSSING_DEG:g}-degree minimum: the flattest crossing that way is "
            f"{flattest:g}")
