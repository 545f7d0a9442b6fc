"""An imported cause case (a bundled lesion scenario's phantom, imported) is planned as the
bundled one is: the planner refuses the tumour, the aneurysm and the nidus with the
literature's treatment, and the operated case still solves."""

from functools import lru_cache

import pytest

import mvd_sim
from mvd_sim.segmentation.importer import import_volume
from mvd_sim.segmentation.labelmap import parse_label_map
from mvd_sim.segmentation.phantom import label_phantom, phantom_label_map
from mvd_sim.surgery.decompress import decompress
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.planner import plan

TREATMENTS = {
    "schwannoma_porus_right": ("schwannoma (schwannoma) displaces CN VII",
                               "resection first, with MVD of any vessel"),
    "aneurysm_pica_rexp_right": ("pica_aneurysm (aneurysm on pica) compresses CN VII at the "
                                 "RExP", "treat the lesion: coiling, parent-artery occlusion"),
    "avm_rexp_right": ("nidus (AVM nidus) compresses CN VII at the RExP",
                       "treat the lesion: nidus removal or embolisation"),
}


@lru_cache(maxsize=None)
def imported(name: str) -> mvd_sim.Case:
    scene = mvd_sim.Case.bundled(name).scene
    volume, _ = label_phantom(scene, 0.5)
    result = import_volume(volume, parse_label_map(phantom_label_map(scene), "labels.yaml"))
    return mvd_sim.Case.from_spec(result.spec, f"{name}.imported")


@pytest.mark.parametrize("name", sorted(TREATMENTS))
def test_the_planner_refuses_an_imported_lesion_as_a_bundled_one(name):
    result = plan(imported(name))
    what, treatment = TREATMENTS[name]
    assert not result.feasible and result.moves == [] and result.candidates_tried == 0
    assert result.message.startswith(f"no plan: not a candidate for MVD with pads: {what}")
    assert treatment in result.message and "\n" not in result.message


def test_an_imported_tumour_case_solves_as_the_bundled_one():
    """The mechanics take the imported mass as the bundled one (a rigid body the rods meet):
    the case settles to the same verdict, the tumour still compressing both nerves (severe),
    CN VII displaced as far within a voxel."""
    name = "schwannoma_porus_right"
    got = decompress(imported(name), Operation())
    want = decompress(mvd_sim.Case.bundled(name), Operation())
    assert got.decompressed == want.decompressed
    for report in (got, want):
        assert [(c.vessel, c.severity) for c in (*report.after.contacts,
                                                 *report.after.cn8_contacts)] == \
            [("schwannoma", "severe")] * 2
    assert abs(got.after.contacts[0].deviation_mm - want.after.contacts[0].deviation_mm) < 0.5
