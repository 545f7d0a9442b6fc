"""Bringing a segmented MRI/CTA case in (``mvd-sim import``, issue #24).

A label volume (NIfTI, NRRD, Slicer's ``.seg.nrrd``) or a folder of meshes, with a label map,
becomes a scenario every command takes: the parametric brainstem fitted to the segmented one
(:mod:`~mvd_sim.segmentation.fit`), the nerves' and vessels' centerlines and radii from their
labels (:mod:`~mvd_sim.segmentation.centerline`), lesions (a mass, an aneurysm's dome, an
AVM's nidus) as fitted ellipsoids (:mod:`~mvd_sim.segmentation.lesion_fit`), all in the
case's frame (origin at the RExP).
"""

from mvd_sim.segmentation.importer import ImportResult, import_case, write_import
from mvd_sim.segmentation.labelmap import LabelMap, Structure, load_label_map
from mvd_sim.segmentation.volume import LabelVolume, load_label_volume, voxelise_meshes

__all__ = ["ImportResult", "import_case", "write_import", "LabelMap", "Structure",
           "load_label_map", "LabelVolume", "load_label_volume", "voxelise_meshes"]
