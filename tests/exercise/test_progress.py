"""The learning curve's plot: its format from the suffix, the same record the same file."""

import pytest

from mvd_sim.exercise.progress import PLOT_SUFFIXES, progress_plot
from mvd_sim.exercise.record import Attempt

MAGIC = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}


def _attempt(total: float) -> Attempt:
    return Attempt(id=1, trainee="ana", exercise="e1", level="easy",
                   graded_at="2026-12-06T00:00:00", identification=total / 2,
                   identification_max=20.0, operation=total / 2, operation_max=25.0,
                   status="decompressed")


@pytest.mark.parametrize("fmt", sorted(set(PLOT_SUFFIXES.values())))
def test_each_suffix_writes_its_format_and_the_same_record_the_same_file(fmt):
    rows = [_attempt(20.0), _attempt(40.0)]
    plot = progress_plot("ana", rows, fmt)
    assert plot.startswith(MAGIC[fmt])
    if fmt != "png":
        assert progress_plot("ana", rows, fmt) == plot
