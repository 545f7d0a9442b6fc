"""The RDP of an imported root: where its gap from the brainstem starts to grow."""

import numpy as np
import pytest

from mvd_sim.segmentation.detachment import detached_at


@pytest.mark.parametrize("rdp", [4.0, 5.5, 7.2])
def test_the_rdp_is_where_the_gap_starts_to_grow_not_where_it_passes_a_threshold(rdp):
    s = np.arange(0.0, 20.0, 0.5)
    gap = 0.12 * np.maximum(s - rdp, 0.0) ** 2
    gap += np.random.default_rng(1).normal(0.0, 0.02, len(s))   # a voxel's tenth of noise
    found = detached_at(s, gap, 2.25, 18.0)
    assert found == pytest.approx(rdp, abs=0.3)
    # a threshold of 0.25 mm would have put it 1.4 mm late
    assert s[np.argmax(gap > 0.25)] - rdp > 1.0
