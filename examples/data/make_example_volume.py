"""Make the shipped example label volume (run once: python examples/data/make_example_volume.py).

The bundled case ``pica_rdp_moderate_left`` laid into an oblique 0.5 mm grid with the head
turned, blurred and noisy (:func:`mvd_sim.segmentation.phantom.label_phantom`), written as a
gzipped NIfTI label map (uint8) with its label map YAML beside it. Deterministic (seed 0).
"""

from pathlib import Path

import nibabel
import numpy as np
import yaml

import mvd_sim
from mvd_sim.segmentation.phantom import label_phantom, phantom_label_map

NAME = "pica_rdp_moderate_left"
here = Path(__file__).resolve().parent
scene = mvd_sim.load_scene(NAME)
volume, _ = label_phantom(scene, spacing_mm=0.5, seed=0)
image = nibabel.Nifti1Image(volume.labels.astype(np.uint8), volume.affine)
image.header.set_xyzt_units("mm")
nibabel.save(image, str(here / f"{NAME}.nii.gz"))
(here / f"{NAME}.labels.yaml").write_text(
    "# label number -> structure (mvd-sim import --labels)\n"
    + yaml.safe_dump(phantom_label_map(scene), sort_keys=False), encoding="utf-8")
print("wrote", here / f"{NAME}.nii.gz", volume.labels.shape)
