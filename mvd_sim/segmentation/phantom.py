"""Synthetic segmentations of a scene: what an MRI/CTA segmentation of an atlas case would
look like, for the import's round-trip tests, the shipped example and the benchmark.

:func:`label_phantom` lays a scene into the world with a rigid pose (a head that is not
square to the scanner) on a voxel grid of its own orientation and spacing, labels every voxel
by exact inside tests (the brainstem's signed distance, the tubes' distance to their
centerlines, the lesions' exact distance to their ellipsoids), then blurs each structure's
mask and adds noise before thresholding it at half, as a segmentation of a blurred, noisy
image would be.

Lesions (masses, aneurysm domes, AVM nidi) are labelled too; an AVM's connecting branches
and its tangle are not (the import joins the imaged feeders and drainers again, and the
engine sees the nidus as its ellipsoid), nor are arachnoid bands (far thinner than a voxel,
invisible on MRI: an imported case has none).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from mvd_sim.anatomy.lesions import Lesion
from mvd_sim.core.geometry import curve
from mvd_sim.scene.scene import Scene
from mvd_sim.segmentation.volume import LabelVolume

__all__ = ["PhantomPose", "label_phantom", "phantom_label_map", "lesion_entry", "tube_inside"]


class PhantomPose:
    """Where the scene lies in the world and how the voxel grid is oriented.

    Parameters
    ----------
    head_deg : (3,) float
        Rotation (xyz Euler, degrees) of the brainstem's midline frame in world RAS.
    grid_deg : (3,) float
        Rotation (xyz Euler, degrees) of the voxel axes in world RAS (an oblique study).
    offset_mm : (3,) float
        World position of the midline frame's origin.
    """

    def __init__(self, head_deg=(8.0, -6.0, 5.0), grid_deg=(0.0, 0.0, 12.0),
                 offset_mm=(3.0, -20.0, 15.0)):
        self.head = Rotation.from_euler("xyz", head_deg, degrees=True).as_matrix()
        self.grid = Rotation.from_euler("xyz", grid_deg, degrees=True).as_matrix()
        self.offset = np.asarray(offset_mm, dtype=float)

    def to_world(self, scene: Scene, points: np.ndarray) -> np.ndarray:
        """Scene-frame mm to world RAS mm."""
        midline = scene.brainstem.to_midline(points)
        return midline @ self.head.T + self.offset

    def to_scene(self, scene: Scene, world: np.ndarray) -> np.ndarray:
        """World RAS mm to scene-frame mm."""
        return (world - self.offset) @ self.head - scene.brainstem.origin_midline_mm


def lesion_entry(lesion: Lesion) -> dict:
    """A lesion's label-map entry (:mod:`mvd_sim.segmentation.labelmap`)."""
    if lesion.cause == "tumour":
        return {"type": "mass", "kind": lesion.kind, "id": lesion.name}
    if lesion.cause == "aneurysm":
        return {"type": "aneurysm", "vessel": lesion.vessel, "id": lesion.name}
    return {"type": "nidus", "feeders": list(lesion.feeders),
            "drainers": list(lesion.drainers), "id": lesion.name}


def phantom_label_map(scene: Scene) -> dict:
    """The label map (as parsed YAML) of :func:`label_phantom`'s labels: 1 brainstem, 2 CN7,
    3 CN8, then the vessels and then the lesions in the scene's order."""
    structures: dict = {1: "brainstem", 2: "CN7", 3: "CN8"}
    for k, (name, tube) in enumerate(scene.vessels.items()):
        structures[4 + k] = {"type": tube.kind, "id": name}
    for k, lesion in enumerate(scene.lesions.values()):
        structures[4 + len(scene.vessels) + k] = lesion_entry(lesion)
    return {"structures": structures}


def _lesion_inside(points: np.ndarray, lesion: Lesion) -> np.ndarray:
    """(n,) bool: inside a lesion's ellipsoid (exact distance, points within its longest
    semi-axis of its centre asked)."""
    inside = np.zeros(len(points), dtype=bool)
    near = np.flatnonzero(np.linalg.norm(points - lesion.body.centre, axis=1)
                          <= float(lesion.body.semi_axes_mm.max()))
    inside[near] = lesion.signed_distance(points[near]) < 0.0
    return inside


def tube_inside(points: np.ndarray, tube_points: np.ndarray, radii: np.ndarray
                ) -> np.ndarray:
    """(n,) bool: inside a tube (flat ends), by its centerline sampled every 0.05 mm."""
    s = curve.arc_length(tube_points)
    dense_s = np.linspace(0.0, s[-1], max(int(s[-1] / 0.05), 2))
    dense = np.stack([np.interp(dense_s, s, tube_points[:, c]) for c in range(3)], axis=1)
    r = np.interp(dense_s, s, radii)
    distance, nearest = cKDTree(dense).query(points, distance_upper_bound=float(r.max()) + 0.1)
    inside = np.isfinite(distance)
    inside[inside] = distance[inside] < r[nearest[inside]]
    # flat ends: nothing beyond the end discs
    for end, other in ((0, 1), (-1, -2)):
        axis = dense[end] - dense[other]
        inside &= (points - dense[end]) @ axis <= 0.0
    return inside


def label_phantom(scene: Scene, spacing_mm: float = 0.5, pose: PhantomPose | None = None,
                  blur_voxels: float = 0.6, noise: float = 0.08, seed: int = 0,
                  margin_mm: float = 4.0) -> tuple[LabelVolume, PhantomPose]:
    """A noisy label volume of a scene's brainstem, nerves and vessels (world RAS mm).

    The grid covers the nerves, vessels and lesions plus ``margin_mm`` (a study of the
    cerebellopontine angle: the brainstem is cut by the grid's edges). Priority where masks
    overlap: vessels over nerves over lesions over the brainstem. Labels are numbered as
    :func:`phantom_label_map` says.
    """
    pose = pose or PhantomPose()
    tubes = [scene.nerves["CN7"], scene.nerves["CN8"], *scene.vessels.values()]
    corners_scene = np.concatenate([t.points for t in tubes]
                                   + [lesion.body.centre + lesion.body.semi_axes_mm.max()
                                      * np.concatenate([np.eye(3), -np.eye(3)])
                                      for lesion in scene.lesions.values()])
    # the whole brainstem's width and depth at the levels the tubes span (as an axial
    # study of the cerebellopontine angle holds)
    shape_ = scene.brainstem.shape
    z = scene.brainstem.to_midline(corners_scene)[:, 2]
    levels = np.linspace(max(z.min() - margin_mm, shape_.z_bottom_mm),
                         min(z.max() + margin_mm, shape_.z_top_mm), 40)
    half_width, y_ant, y_post = shape_.profiles(levels)
    box = np.array([[-half_width.max(), y_post.min(), levels[0]],
                    [half_width.max(), y_ant.max(), levels[-1]]])
    corners = np.array([[box[i, 0], box[j, 1], box[k, 2]]
                        for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    corners_scene = np.concatenate([corners_scene,
                                    corners - scene.brainstem.origin_midline_mm])
    world = pose.to_world(scene, corners_scene)
    in_grid = world @ pose.grid / spacing_mm     # grid index coordinates about the origin
    low = np.floor(in_grid.min(axis=0) - margin_mm / spacing_mm)
    high = np.ceil(in_grid.max(axis=0) + margin_mm / spacing_mm)
    shape = tuple(int(n) for n in high - low + 1)
    affine = np.eye(4)
    affine[:3, :3] = pose.grid * spacing_mm
    affine[:3, 3] = pose.grid @ (low * spacing_mm)
    ijk = np.indices(shape).reshape(3, -1).T
    points = pose.to_scene(scene, ijk @ affine[:3, :3].T + affine[:3, 3])
    first_lesion = 2 + len(tubes)
    masks = [(1, scene.brainstem.signed_distance(points, max_distance_mm=2.0) < 0.0)]
    masks += [(first_lesion + k, _lesion_inside(points, lesion))
              for k, lesion in enumerate(scene.lesions.values())]
    masks += [(2 + k, tube_inside(points, t.points, t.radius)) for k, t in enumerate(tubes)]
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, dtype=np.uint16)
    for label, mask in masks:
        soft = gaussian_filter(mask.reshape(shape).astype(np.float32), blur_voxels)
        soft += rng.normal(0.0, noise, shape).astype(np.float32)
        labels[soft > 0.5] = label
    return LabelVolume(labels, affine, f"phantom of {scene.name}"), pose
