"""The dataset card says how many cases had to be redrawn."""

import pyarrow as pa

from mvd_sim.dataset.card import _redraws
from mvd_sim.dataset.sampler import GEOMETRY_ATTEMPTS


def test_redraws_count_the_cases_that_are_not_their_first_draw():
    cases = pa.table({"attempt": [0, 2, GEOMETRY_ATTEMPTS + 1, 0, 0]})
    text = "\n".join(_redraws(cases))
    assert "## redraws" in text and "2 of 5 cases (40.0%)" in text
    assert "1 cases (20.0%) also had their diagnosis redrawn" in text
