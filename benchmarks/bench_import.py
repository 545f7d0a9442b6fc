"""Import time of a 256^3 label volume, and where the time goes (issue #24).

Run: ``python benchmarks/bench_import.py [REPEATS]`` (one thread; prints min and median of
repeats, then the stages and a profile of one import).

The volume: the bundled ``multi_aica_pica_right`` (4 vessels) as a noisy 0.4 mm label
phantom (:func:`mvd_sim.segmentation.phantom.label_phantom`), placed in a 256^3 grid (a
102 mm study, as a 3D-CISS/FIESTA of the posterior fossa), written as a gzipped NIfTI and
imported from the file, as ``mvd-sim import`` does.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import cProfile  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nibabel  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

import mvd_sim  # noqa: E402
from mvd_sim.segmentation import load_label_map, load_label_volume  # noqa: E402
from mvd_sim.segmentation.centerline import centerline_of  # noqa: E402
from mvd_sim.segmentation.fit import fit_brainstem, surface_points  # noqa: E402
from mvd_sim.segmentation.importer import import_volume  # noqa: E402
from mvd_sim.segmentation.phantom import label_phantom, phantom_label_map  # noqa: E402

NAME = "multi_aica_pica_right"
SIZE = 256
SPACING_MM = 0.4


def make_volume(folder: Path) -> tuple[Path, Path]:
    """The phantom embedded in the middle of a 256^3 grid, written as .nii.gz + map."""
    scene = mvd_sim.load_scene(NAME)
    phantom, _ = label_phantom(scene, SPACING_MM)
    labels = np.zeros((SIZE,) * 3, dtype=np.uint8)
    shape = np.array(phantom.labels.shape)
    start = (SIZE - shape) // 2
    labels[start[0]:start[0] + shape[0], start[1]:start[1] + shape[1],
           start[2]:start[2] + shape[2]] = phantom.labels
    affine = phantom.affine.copy()
    affine[:3, 3] -= affine[:3, :3] @ start
    volume = folder / "study.nii.gz"
    nibabel.save(nibabel.Nifti1Image(labels, affine), str(volume))
    label_map = folder / "labels.yaml"
    label_map.write_text(yaml.safe_dump(phantom_label_map(scene)), encoding="utf-8")
    return volume, label_map


def stages(volume_path: Path, map_path: Path) -> dict[str, float]:
    """Seconds spent in each stage of one import."""
    times: dict[str, float] = {}
    t = time.perf_counter()
    volume = load_label_volume(volume_path)
    label_map = load_label_map(map_path)
    times["read volume (nibabel)"] = time.perf_counter() - t
    t = time.perf_counter()
    points = surface_points(*volume.cropped(1))
    times["brainstem surface (marching cubes)"] = time.perf_counter() - t
    t = time.perf_counter()
    fit_brainstem(points, "bench")
    times["brainstem fit (least squares)"] = time.perf_counter() - t
    t = time.perf_counter()
    for structure in label_map.structures[1:]:
        key = int(structure.key)
        centerline_of(*volume.cropped(key), structure.id, volume.others(key))
    times["centerlines (skeletons, section fits)"] = time.perf_counter() - t
    t = time.perf_counter()
    import_volume(volume, label_map)
    times["whole import of the read volume"] = time.perf_counter() - t
    return times


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as work:
        volume, label_map = make_volume(Path(work))
        print(f"{NAME}: {SIZE}^3 voxels at {SPACING_MM} mm, {volume.stat().st_size} bytes "
              "gzipped NIfTI")
        mvd_sim.import_case(volume, label_map)   # warm: compiled kernels, imports
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            mvd_sim.import_case(volume, label_map)
            runs.append(time.perf_counter() - t)
        print(f"import_case, {repeats} repeats: min {min(runs):.2f} s, median "
              f"{float(np.median(runs)):.2f} s")
        for stage, seconds in stages(volume, label_map).items():
            print(f"  {stage:40s} {seconds:6.2f} s")
        profile = cProfile.Profile()
        profile.runcall(mvd_sim.import_case, volume, label_map)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
