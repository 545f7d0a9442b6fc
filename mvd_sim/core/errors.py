"""Exception hierarchy of mvd-sim.

Every error raised on bad input is an :class:`MvdSimError`; its message is one sentence that
names the file (when there is one), the field and the reason, so the CLI can print it on a
single line and exit non-zero without a traceback.
"""

from __future__ import annotations

__all__ = ["MvdSimError", "ScenarioError", "GeometryError", "MeshError", "SolverError",
           "SegmentationError", "raised_by_interrupt"]


class MvdSimError(Exception):
    """Base class of every error mvd-sim raises on purpose."""


class ScenarioError(MvdSimError, ValueError):
    """A scenario file or mapping is malformed, inconsistent or anatomically impossible."""


class GeometryError(MvdSimError, ValueError):
    """Geometry given to a constructor or a query is invalid (shape, finiteness, radius...)."""


class MeshError(MvdSimError, ValueError):
    """A mesh file cannot be read or is not a usable closed triangle surface."""


class SegmentationError(MvdSimError, ValueError):
    """A segmentation (label volume, mesh folder or label map) cannot be brought in as a case."""


class SolverError(MvdSimError, RuntimeError):
    """A numerical solve failed to converge; never returned as if it were an answer."""


def raised_by_interrupt(error: BaseException) -> bool:
    """Whether ``error`` is, or was caused by, a ``KeyboardInterrupt`` (numba turns a Ctrl-C
    that lands in compiled code into a ``SystemError`` whose cause is the interrupt)."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, KeyboardInterrupt):
        cause = cause.__cause__ or cause.__context__
    return cause is not None
