"""Bringing a segmented case in: label volume or mesh folder + label map -> scenario.

:func:`import_case` reads the segmentation, fits the brainstem
(:mod:`~mvd_sim.segmentation.fit`), follows every nerve and vessel to a fraction of a voxel
(:mod:`~mvd_sim.segmentation.centerline`, :mod:`~mvd_sim.segmentation.sections`; two
tubes where their labels meet fitted together, :mod:`~mvd_sim.segmentation.overlap`), finds
the RExP where CN VII meets the fitted brainstem and the RDP where it leaves it
(:mod:`~mvd_sim.segmentation.detachment`), estimates each root's rest course
(:mod:`~mvd_sim.segmentation.rest`, for severity), and writes everything in the case's
frame: the fitted brainstem's midline frame
(x = patient's right, y anterior, z rostral) moved to the RExP, as atlas cases. The side is
the side of the midline CN VII lies on, unless given. The scenario it returns builds (it is
checked by building it), so every command takes it. It records the image's largest voxel
spacing (``anatomy.segmented.voxel_mm``; a mesh folder's: the spacing it is voxelised at),
by which the case is graded (:func:`mvd_sim.case.case_thresholds`).

Lesions of the label map (a mass, an aneurysm's dome, an AVM's nidus) are fitted with an
ellipsoid (:mod:`~mvd_sim.segmentation.lesion_fit`) and written as imaged
(``ellipsoid``: centre, axes and semi-axes in the case's frame); the nerves' rest courses
take them as pressing the nerves (:func:`~mvd_sim.segmentation.rest.pressed_at`; a mass
holds the stretch lying on it, :func:`~mvd_sim.segmentation.rest.wrapped_at`). A nerve or
vessel whose fitted tube would enter a mass is moved out to rest on it (:func:`_off_masses`);
nothing is draped round an imported mass when the case is built: its structures lie as
imaged. A mesh folder is voxelised brainstem first, then lesions, nerves and vessels (a later
one keeps the voxels where two overlap), as :func:`~mvd_sim.segmentation.phantom.label_phantom`
labels.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mvd_sim.anatomy.context import Ellipsoid
from mvd_sim.anatomy.lesions import Lesion, drape
from mvd_sim.anatomy.bends import MIN_BEND_RADIUS_TO_VESSEL_RADIUS, bend_ratios
from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.vessels import spline_through
from mvd_sim.core.constants import FacialNerveParams
from mvd_sim.core.errors import ScenarioError, SegmentationError
from mvd_sim.core.geometry import curve
from mvd_sim.core.output import write_file
from mvd_sim.core.tube import Tube
from mvd_sim.scenario import (MAX_TOTAL_COURSE_MM, MAX_VESSEL_COURSE_MM, ScenarioSpec,
                              parse_scenario, scenario_to_yaml)
from mvd_sim.scenario.schema import MAX_CENTERLINE_POINTS, MIN_SEGMENT_MM
from mvd_sim.scene.build import build_scene
from mvd_sim.segmentation.centerline import SPACING_MM, Centerline, centerline_of
from mvd_sim.segmentation.fit import BrainstemFit, fit_brainstem, surface_points
from mvd_sim.segmentation.detachment import detached_at
from mvd_sim.segmentation.rest import pressed_at, rest_course, wrapped_at
from mvd_sim.segmentation.labelmap import LabelMap, Structure, load_label_map
from mvd_sim.segmentation.lesion_fit import LesionFit, fit_lesion
from mvd_sim.segmentation.overlap import is_thread, refined
from mvd_sim.segmentation.root_start import fitted_start
from mvd_sim.segmentation.volume import LabelVolume, load_label_volume, voxelise_meshes

__all__ = ["ImportResult", "import_case", "import_volume", "write_import",
           "REACH_TOLERANCE_MM"]

#: CN VII's and CN VIII's segmented starts must lie within this (mm) of the fitted
#: brainstem's surface (beyond their own radii); farther, the nerve never reaches it.
REACH_TOLERANCE_MM = 2.0
_RADIUS_RANGE_MM = (0.1, 5.0)   # radii the schema accepts
_UNBEND_ROUNDS = 60


@dataclass(frozen=True, eq=False)
class ImportResult:
    """An imported case: its scenario and how it was fitted.

    Attributes
    ----------
    spec : ScenarioSpec
    fit : BrainstemFit
        The brainstem's fit (world <-> midline frame, RMS).
    rexp_world_mm : (3,) float
        The RExP in the segmentation's world frame (RAS mm).
    """

    spec: ScenarioSpec
    fit: BrainstemFit
    rexp_world_mm: np.ndarray


def import_case(source: str | os.PathLike, labels: str | os.PathLike,
                side: str | None = None, mesh_spacing_mm: float = 0.4,
                mesh_space: str = "RAS") -> ImportResult:
    """Import a segmented case.

    Parameters
    ----------
    source : path
        A label volume (``.nii``, ``.nii.gz``, ``.nrrd``, ``.seg.nrrd``) or a folder of
        meshes (``.stl``, ``.obj``, ``.ply``, ``.vtp``; voxelised at ``mesh_spacing_mm``).
    labels : path
        The label map (:mod:`mvd_sim.segmentation.labelmap`): label numbers for a volume
        (or, for Slicer's ``.seg.nrrd``, segment names or IDs; a segmentation of several
        layers takes these only), file names (in ``source``) for a folder.
    side : ``"left"``, ``"right"`` or None
        The symptomatic side; None: the side of the midline CN VII lies on.
    mesh_space : ``"RAS"`` or ``"LPS"``
        The meshes' world frame (Slicer's model export is LPS by default).

    Raises
    ------
    SegmentationError
        One line naming the file and the reason.
    """
    label_map = load_label_map(labels)
    source = Path(source)
    if source.is_dir():
        volume = _voxelised(source, label_map, mesh_spacing_mm, mesh_space)
        label_map = LabelMap(tuple(dataclasses.replace(s, key=k + 1)
                                   for k, s in enumerate(label_map.structures)),
                             label_map.source)
    else:
        volume = load_label_volume(source)
    return import_volume(volume, label_map, side)


def _voxelised(folder: Path, label_map: LabelMap, spacing_mm: float,
               space: str) -> LabelVolume:
    if any(not isinstance(s.key, str) for s in label_map.structures):
        raise SegmentationError(f"{label_map.source}: a mesh folder's structures are keyed "
                                "by file name, not label number")
    order = sorted(range(len(label_map.structures)),
                   key=lambda k: (label_map.structures[k].kind != "brainstem",
                                  not label_map.structures[k].is_lesion,
                                  label_map.structures[k].is_vessel))
    files = {}
    for k in order:
        path = folder / str(label_map.structures[k].key)
        if not path.is_file():
            raise SegmentationError(f"{path}: no such mesh file (named in "
                                    f"{label_map.source})")
        files[k + 1] = path
    return voxelise_meshes(files, spacing_mm, space)


def _named(volume: LabelVolume, structure: Structure) -> str:
    """How messages name a structure's label: ``"file: label k (id)"`` or, keyed by a
    segment's name or ID, ``"file: segment 'name' (id)"``."""
    what = f"segment {structure.key!r}" if isinstance(structure.key, str) else \
        f"label {structure.key}"
    return f"{volume.source}: {what} ({structure.id})"


def _mask(volume: LabelVolume, structure: Structure) -> tuple[np.ndarray, np.ndarray]:
    """A structure's mask, cropped to it, and the crop's affine."""
    cropped = volume.cropped(volume.label_of(structure.key))
    if cropped is None:
        raise SegmentationError(f"{_named(volume, structure)} is not in the volume")
    return cropped


def _rooted(brainstem: Brainstem, line: Centerline) -> Centerline:
    """A nerve's centerline (midline frame, run from its brainstem end) started where its
    axis leaves the fitted brainstem: a root leaving the brainstem at an angle has a label
    that ends on the brainstem's, and the line carried on to the label's end face
    (:mod:`~mvd_sim.segmentation.centerline`) runs on inside it. The stretch whose axis
    lies inside the fitted surface is cut at the crossing (interpolated between the two
    points either side), which is the root's start; a root lying on the brainstem (its
    axis a radius off the surface) is left as it is."""
    depth = brainstem.signed_distance(line.points)
    if depth[0] >= 0.0 or not np.any(depth >= 0.0):
        return line
    k = int(np.argmax(depth >= 0.0))
    t = depth[k - 1] / (depth[k - 1] - depth[k])
    start = line.points[k - 1] + t * (line.points[k] - line.points[k - 1])
    points = np.concatenate([start[None], line.points[k:]])
    radii = np.concatenate([[line.radii[k - 1] + t * (line.radii[k] - line.radii[k - 1])],
                            line.radii[k:]])
    if curve.arc_length(points)[-1] > 2 * SPACING_MM:
        even = curve.resample(points, SPACING_MM)
        radii = np.interp(curve.arc_length(even), curve.arc_length(points), radii)
        points = even
    return Centerline(points, radii, line.surface_rms_mm)


def _lifted(brainstem: Brainstem, points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Centerline points (midline frame) whose tube would dip into the fitted brainstem
    moved out along its normal until the tube rests on it (the fit's residual)."""
    query = brainstem.query(points, max_distance_mm=float(radii.max()) + 0.5,
                            exact_inside=True)
    sunk = query.signed_distance < radii
    out = np.array(points)
    out[sunk] += (radii - query.signed_distance)[sunk, None] * query.normal[sunk]
    return out


def _off_masses(points: np.ndarray, radii: np.ndarray, masses: list[Ellipsoid]
                ) -> np.ndarray:
    """Centerline points (scene frame) whose tube would enter a fitted mass moved out of it
    as a mass displaces a tube (:func:`~mvd_sim.anatomy.lesions.drape`: square to the tube,
    away from the mass' centre, until it rests on it): a tumour displaces what lies on it,
    so a tube inside it is the fits' residual (a centerline smoothed across the bend the
    mass makes), as :func:`_lifted` takes it for the brainstem (which it is lifted off
    after). An aneurysm's dome or a nidus indents a nerve (graded so) and is left alone."""
    tube = Tube("centerline", "nerve", np.asarray(points, dtype=float), radii)
    for body in masses:
        tube = drape(tube, Lesion(body.name, body.kind, "tumour", body))
    return tube.points


def _unbent(points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Centerline points with the bends tighter than a vessel may have
    (:data:`~mvd_sim.anatomy.bends.MIN_BEND_RADIUS_TO_VESSEL_RADIUS`, with a tenth to spare)
    eased by local Laplacian smoothing: a skeleton's kink where two labels meet, not
    anatomy. Bends are measured on the spline the scene is built on
    (:func:`~mvd_sim.anatomy.vessels.spline_through`), which turns tighter than the polyline
    through its points; the points nearest a tight stretch are eased, an end toward the
    line of the two points inside it."""
    out = np.array(points)
    floor = 1.1 * MIN_BEND_RADIUS_TO_VESSEL_RADIUS
    at = curve.arc_length(out)
    for _ in range(_UNBEND_ROUNDS):
        course = spline_through(out)
        s = curve.arc_length(course)
        ratio = bend_ratios(course, np.interp(s / s[-1], at / at[-1], radii))
        tight = np.unique(np.searchsorted(at / at[-1], s[ratio < floor] / s[-1]))
        if not len(tight):
            break
        near = np.unique(np.clip(np.concatenate([tight - 2, tight - 1, tight, tight + 1]),
                                 0, len(out) - 1))
        inner = near[(near > 0) & (near < len(out) - 1)]
        ends = [(k, 1 if k == 0 else -1) for k in (0, len(out) - 1) if k in near]
        out[inner] = 0.5 * out[inner] + 0.25 * (out[inner - 1] + out[inner + 1])
        for k, inward in ends:
            out[k] = 0.5 * out[k] + 0.5 * (2 * out[k + inward] - out[k + 2 * inward])
    return out


def _rdp(brainstem: Brainstem, points: np.ndarray, radii: np.ndarray, voxel_mm: float
         ) -> float:
    """CN VII's RDP (mm of arc, :func:`~mvd_sim.segmentation.detachment.detached_at`, for
    an image of ``voxel_mm`` voxels), sought where the landmark rules leave room for the
    RExP zone, the attached segment and the RDP zone before it and the cisternal portion
    after it."""
    params = FacialNerveParams()
    half = 0.5 * params.rdp_zone_length_mm
    s = curve.arc_length(points)
    gap = brainstem.signed_distance(points) - radii
    return detached_at(s, gap, params.rexp_zone_length_mm + half + MIN_SEGMENT_MM,
                       float(s[-1]) - half - MIN_SEGMENT_MM, voxel_mm=voxel_mm)


def _written(line: Centerline, what: str) -> tuple[list[list[float]], list[float]]:
    """Points (rounded to 1 um) and radii of a centerline for the scenario, respaced if it
    would have more than the schema's points."""
    points, radii = line.points, line.radii
    spacing = max(SPACING_MM, line.length_mm / (MAX_CENTERLINE_POINTS - 10))
    if spacing > SPACING_MM:
        at = curve.arc_length(points)
        points = curve.resample(points, spacing)
        radii = np.interp(curve.arc_length(points), at, radii)
    radii = np.clip(radii, *_RADIUS_RANGE_MM)
    points = _unbent(points, radii)
    if line.length_mm > MAX_VESSEL_COURSE_MM:
        raise SegmentationError(f"{what}: its centerline is {line.length_mm:.0f} mm long; "
                                f"at most {MAX_VESSEL_COURSE_MM:g} mm is accepted (crop the "
                                "volume to the cerebellopontine angle)")
    return np.round(points, 3).tolist(), np.round(radii, 3).tolist()


def _lesions(volume: LabelVolume, label_map: LabelMap, fit: BrainstemFit, rexp: np.ndarray
             ) -> tuple[dict[str, list[dict]], list[Ellipsoid], list[str]]:
    """The label map's lesions fitted (:func:`~mvd_sim.segmentation.lesion_fit.fit_lesion`)
    and moved into the case's frame: the scenario's ``masses``, ``aneurysms`` and ``avms``
    (only those present), their ellipsoids (for the rest courses) and a note of each fit."""
    out: dict[str, list[dict]] = {}
    bodies, notes = [], []
    for structure in label_map.lesions:
        mask, affine = _mask(volume, structure)
        found = fit_lesion(mask, volume.others(volume.label_of(structure.key)), affine,
                           _named(volume, structure))
        placed: LesionFit = found.moved(fit.rotation, fit.translation_mm)
        centre = placed.centre_mm - rexp
        ellipsoid = {"centre_mm": np.round(centre, 3).tolist(),
                     "semi_axes_mm": np.round(placed.semi_axes_mm, 3).tolist(),
                     "axes": np.round(placed.axes, 6).tolist()}
        entry = {"id": structure.id, "ellipsoid": ellipsoid}
        if structure.kind == "mass":
            out.setdefault("masses", []).append({**entry, "kind": structure.mass_kind})
        elif structure.kind == "aneurysm":
            out.setdefault("aneurysms", []).append({**entry, "vessel": structure.vessel})
        else:
            out.setdefault("avms", []).append({**entry, "feeders": list(structure.feeders),
                                               "drainers": list(structure.drainers)})
        bodies.append(Ellipsoid(structure.id, structure.kind, centre, placed.axes,
                                placed.semi_axes_mm))
        notes.append(f"{structure.id} {found.rms_mm:.2f} mm")
    return out, bodies, notes


def _followed(volume: LabelVolume, label_map: LabelMap) -> dict[str, Centerline]:
    """Every nerve's and vessel's centerline (world mm, by structure id): each label
    followed and fitted section by section
    (:func:`~mvd_sim.segmentation.centerline.centerline_of`; a root's start, where no
    section fits, fitted to its voxels, :func:`~mvd_sim.segmentation.root_start.fitted_start`),
    then each vessel fitted
    together with every nerve and vessel before it where their surfaces meet
    (:func:`~mvd_sim.segmentation.overlap.refined`). CN VII and CN VIII are not fitted
    together: they run side by side 0.4-0.6 mm apart, no contact is graded between them,
    and fitting them moved the vessels' contacts on them for the worse (0.6 mm voxels:
    a culprit lost, separation errors up to 0.06 voxel larger)."""
    tubes = [label_map.root("CN7"), label_map.root("CN8"), *label_map.vessels]
    keys = {s.id: volume.label_of(s.key) for s in tubes}
    lines = {s.id: centerline_of(*_mask(volume, s), _named(volume, s), volume.others(keys[s.id]))
             for s in tubes}
    brainstem = volume.label_of(label_map.root("brainstem").key)
    voxel_mm = float(volume.spacing_mm.max())
    threads = [keys[s.id] for s in tubes if is_thread(lines[s.id], voxel_mm)]
    for structure in tubes:
        if not structure.is_vessel:
            lines[structure.id] = fitted_start(lines[structure.id], volume, keys[structure.id],
                                               brainstem, threads)
    pairs = [(a.id, b.id) for k, b in enumerate(tubes) for a in tubes[:k] if b.is_vessel]
    return refined(lines, keys, volume, pairs)


def import_volume(volume: LabelVolume, label_map: LabelMap,
                  side: str | None = None) -> ImportResult:
    """Import a label volume already read (see :func:`import_case`).

    Raises
    ------
    SegmentationError
        One line naming the file and the reason.
    """
    if side not in (None, "left", "right"):
        raise SegmentationError(f"side {side!r}: expected left or right")
    for structure in label_map.structures:   # every key names a label, before any fit
        volume.label_of(structure.key)
    brainstem_label = label_map.root("brainstem")
    fit = fit_brainstem(surface_points(*_mask(volume, brainstem_label)),
                        _named(volume, brainstem_label))
    placed = Brainstem(fit.shape, np.zeros(3))   # midline frame

    lines = _followed(volume, label_map)
    nerves = {}
    for kind in ("CN7", "CN8"):
        line = lines[label_map.root(kind).id]
        line = Centerline(fit.to_midline(line.points), line.radii, line.surface_rms_mm)
        ends = placed.signed_distance(line.points[[0, -1]])
        nerves[kind] = _rooted(placed, line if ends[0] <= ends[1] else line.reversed())
    starts = {kind: placed.query(nerve.points[:1]) for kind, nerve in nerves.items()}
    for kind, start in starts.items():
        gap = float(start.signed_distance[0] - nerves[kind].radii[0])
        if gap > REACH_TOLERANCE_MM:
            raise SegmentationError(f"{_named(volume, label_map.root(kind))} ends "
                                    f"{gap:.1f} mm from the brainstem: the nerve never "
                                    "reaches it")
    rexp = starts["CN7"].closest[0]
    detected = "right" if rexp[0] > 0 else "left"
    side = side or detected
    if side != detected:
        raise SegmentationError(f"{volume.source}: side {side!r} was given but CN VII leaves "
                                f"the brainstem on its {detected} side")

    lesions, bodies, lesion_notes = _lesions(volume, label_map, fit, rexp)
    masses = [b for b in bodies if b.kind == "mass"]

    def in_scene(line: Centerline, what: str) -> tuple[list, list]:
        points = _off_masses(line.points - rexp, line.radii, masses) + rexp
        return _written(Centerline(_lifted(placed, points, line.radii) - rexp, line.radii),
                        what)

    vessels = []
    rms = {kind: nerves[kind].surface_rms_mm for kind in ("CN7", "CN8")}
    for structure in label_map.vessels:
        line = lines[structure.id]
        line = Centerline(fit.to_midline(line.points), line.radii, line.surface_rms_mm)
        rms[structure.id] = line.surface_rms_mm
        points, radii = in_scene(line, _named(volume, structure))
        vessels.append({"id": structure.id, "type": structure.kind, "points_mm": points,
                        "radii_mm": radii})
    total = sum(float(curve.arc_length(np.array(v["points_mm"]))[-1]) for v in vessels)
    if total > MAX_TOTAL_COURSE_MM:
        raise SegmentationError(f"{volume.source}: the vessels' centerlines add up to "
                                f"{total:.0f} mm; at most {MAX_TOTAL_COURSE_MM:g} mm is "
                                "accepted (crop the volume to the cerebellopontine angle)")
    roots = {}
    in_frame = Brainstem(fit.shape, rexp)   # the scene frame: origin at the RExP
    courses = [(np.array(v["points_mm"]), np.array(v["radii_mm"])) for v in vessels]
    rdp = None
    for kind, key in (("CN7", "facial_nerve"), ("CN8", "vestibulocochlear_nerve")):
        points, radii = in_scene(nerves[kind], f"{volume.source}: {kind}")
        line, r = np.array(points), np.array(radii)
        if kind == "CN7":
            rdp = _rdp(in_frame, line, r, float(volume.spacing_mm.max()))
        rest = rest_course(line, r, pressed_at(line, r, courses, [b for b in bodies
                                                                  if b.kind != "mass"]),
                           in_frame, rdp if kind == "CN7" else 0.0,
                           wrapped_at(line, r, masses))
        roots[key] = {"points_mm": points, "radii_mm": radii,
                      "rest_points_mm": np.round(rest, 3).tolist()}
    name = Path(volume.source).name
    data = {
        "schema_version": 1,
        "title": f"Imported case {name}"[:200],
        "description": (f"Imported from {name} ({label_map.source}) by mvd-sim import. The "
                        f"parametric brainstem fits the segmented one to {fit.rms_mm:.2f} mm "
                        "RMS; nerves and vessels follow their labels' centerlines."
                        + (f" Lesions fitted by ellipsoids to (RMS) {', '.join(lesion_notes)}."
                           if lesion_notes else "")),
        "side": side,
        "anatomy": {"brainstem": fit.overrides,
                    "facial_nerve": {"attached_segment_length_mm": round(rdp, 3)},
                    "segmented": {"rexp_midline_mm": np.round(rexp, 4).tolist(), **roots,
                                  "fit_rms_mm": round(fit.rms_mm, 4),
                                  "surface_rms_mm": {k: round(v, 4) for k, v in rms.items()
                                                     if v is not None},
                                  "voxel_mm": round(float(volume.spacing_mm.max()), 4),
                                  "source": str(volume.source)[-500:]}},
        "vessels": vessels,
        **lesions,
    }
    try:
        spec = parse_scenario(data, str(volume.source))
        build_scene(spec, "import")
    except ScenarioError as err:
        raise SegmentationError(f"{volume.source}: the imported case does not build: "
                                f"{err}") from None
    return ImportResult(spec, fit, fit.to_world(rexp))


def write_import(result: ImportResult, out: str | os.PathLike) -> Path:
    """Write an imported case's scenario atomically (nothing half-written).

    Raises
    ------
    MvdSimError
        One line naming ``out`` when it cannot be written.
    """
    return write_file(out, scenario_to_yaml(result.spec, exclude_defaults=True).encode("utf-8"),
                      SegmentationError)
