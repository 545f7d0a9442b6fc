"""Round trips through a segmentation: a bundled scene as a noisy label volume (or as mesh
files), imported, and its contact report compared with the original's."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import nibabel
import nrrd
import numpy as np
import yaml

import mvd_sim
from mvd_sim.segmentation.phantom import (PhantomPose, label_phantom, lesion_entry,
                                          phantom_label_map)
from mvd_sim.segmentation.volume import LabelVolume

LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
#: An imported contact this far (mm of arc) or nearer from an original one is the same one.
NEAR_MM = 3.0


def write_nifti(volume: LabelVolume, path: Path) -> Path:
    nibabel.save(nibabel.Nifti1Image(volume.labels, volume.affine), str(path))
    return path


def write_nrrd(volume: LabelVolume, path: Path) -> Path:
    """As Slicer writes label maps: LPS space."""
    affine = LPS @ volume.affine
    nrrd.write(str(path), volume.labels, {
        "space": "left-posterior-superior", "space directions": affine[:3, :3].T,
        "space origin": affine[:3, 3], "encoding": "gzip"})
    return path


def write_map(data: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Comparison:
    """Contacts of the original (keyed by vessel and nerve) against the imported case's.

    ``total`` counts the original's contacts and the imported contacts that match none of
    them (a contact the import made up is as wrong as one it lost)."""

    total: int
    matched: int            # same segment and severity
    separation_errors: list[float]
    culprits_same: bool
    rexp_error_mm: float
    #: (vessel, nerve, segment, severity, separation, indentation, deviation, imported's
    #: (segment, severity, separation, indentation, deviation) or None), mm
    rows: list[tuple]
    #: lesion id -> (centre error, largest semi-axis error), mm (world frame; semi-axes
    #: compared in descending order); a lesion the import lost: (inf, inf)
    lesions: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: the original's and the imported case's contact pattern
    patterns: tuple[str, str] = ("", "")


def _measures(contact) -> tuple[float, float, float]:
    """A contact's separation, indentation and deviation (mm, to 0.01)."""
    return (round(contact.min_separation_mm, 2), round(contact.indentation_mm, 2),
            round(contact.deviation_mm, 2))


def compare(original: mvd_sim.Case, imported: mvd_sim.ImportResult,
            rexp_world: np.ndarray) -> Comparison:
    """Each case graded with its own thresholds: the original with the defaults, the
    imported one with its image's (:func:`mvd_sim.case.case_thresholds`)."""
    case = mvd_sim.Case.from_spec(imported.spec, "imported")
    a = mvd_sim.analyze(original.scene, original.thresholds)
    b = mvd_sim.analyze(case.scene, case.thresholds)
    matched, errors, rows, unused = 0, [], [], list(b.contacts)
    for c in a.contacts:
        # the unused imported contact of the same vessel on the same nerve nearest along the
        # nerve, if within NEAR_MM of it
        same_pair = [d for d in unused if (d.vessel, d.nerve) == (c.vessel, c.nerve)
                     and abs(d.s_centre_mm - c.s_centre_mm) <= NEAR_MM]
        d = min(same_pair, key=lambda d: abs(d.s_centre_mm - c.s_centre_mm), default=None)
        if d is not None:
            unused.remove(d)
        same = d is not None and (d.segment, d.severity) == (c.segment, c.severity)
        matched += same
        if d is not None:
            errors.append(abs(d.min_separation_mm - c.min_separation_mm))
        rows.append((c.vessel, c.nerve, c.segment, c.severity, *_measures(c),
                     None if d is None else (d.segment, d.severity, *_measures(d))))
    rows += [(d.vessel, d.nerve, None, None, None, None, None,
              (d.segment, d.severity, *_measures(d))) for d in unused]
    return Comparison(len(a.contacts) + len(unused), matched, errors,
                      {c.vessel for c in a.culprits} == {c.vessel for c in b.culprits},
                      float(np.linalg.norm(imported.rexp_world_mm - rexp_world)), rows)


def volume_round_trip(name: str, folder: Path, fmt: str, spacing_mm: float = 0.5,
                      seed: int = 0) -> Comparison:
    """Phantom of bundled ``name`` written as ``fmt`` (``nii.gz`` or ``nrrd``), imported."""
    original = mvd_sim.Case.bundled(name)
    volume, pose = label_phantom(original.scene, spacing_mm, PhantomPose(), seed=seed)
    writer = write_nifti if fmt == "nii.gz" else write_nrrd
    path = writer(volume, folder / f"{name}.{fmt}")
    labels = write_map(phantom_label_map(original.scene), folder / f"{name}.labels.yaml")
    result = mvd_sim.import_case(path, labels)
    return with_lesions(compare(original, result,
                                pose.to_world(original.scene, np.zeros((1, 3)))[0]),
                        original, result, lambda p: pose.to_world(original.scene, p))


def mesh_round_trip(name: str, folder: Path, spacing_mm: float = 0.4) -> Comparison:
    """The scene's brainstem, nerve and vessel meshes exported as STL (scene frame = world),
    imported from the folder."""
    original = mvd_sim.Case.bundled(name)
    mvd_sim.export_meshes(original.scene, folder, "stl")
    structures = {"brainstem.stl": "brainstem", "CN7.stl": "CN7", "CN8.stl": "CN8"}
    for vessel, tube in original.scene.vessels.items():
        structures[f"{vessel}.stl"] = {"type": tube.kind, "id": vessel}
    for name_, lesion in original.scene.lesions.items():
        structures[f"{name_}.stl"] = lesion_entry(lesion)
    for other in folder.glob("*.stl"):   # context structures are not segmented
        if other.name not in structures:
            other.unlink()
    labels = write_map({"structures": structures}, folder.parent / f"{name}.files.yaml")
    result = mvd_sim.import_case(folder, labels, mesh_spacing_mm=spacing_mm)
    return with_lesions(compare(original, result, np.zeros(3)), original, result,
                        lambda p: np.asarray(p, dtype=float))


def with_lesions(comparison: Comparison, original: mvd_sim.Case,
                 imported: mvd_sim.ImportResult, to_world) -> Comparison:
    """``comparison`` with each lesion's centre and semi-axis errors (world mm; ``to_world``
    maps the original's scene frame to world) and both cases' contact patterns."""
    case = mvd_sim.Case.from_spec(imported.spec, "imported")
    errors = {}
    for name, lesion in original.scene.lesions.items():
        got = case.scene.lesions.get(name)
        if got is None:
            errors[name] = (float("inf"), float("inf"))
            continue
        centre = imported.fit.to_world(case.scene.brainstem.to_midline(got.body.centre[None]))
        errors[name] = (
            float(np.linalg.norm(centre[0] - to_world(lesion.body.centre[None])[0])),
            float(np.abs(np.sort(got.body.semi_axes_mm) - np.sort(lesion.body.semi_axes_mm))
                  .max()))
    patterns = (mvd_sim.analyze(original.scene, original.thresholds).pattern,
                mvd_sim.analyze(case.scene, case.thresholds).pattern)
    return dataclasses.replace(comparison, lesions=errors, patterns=patterns)
