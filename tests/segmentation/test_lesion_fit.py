"""The lesion fit against closed forms: voxelised known ellipsoids (oblique to the grid, off
the voxel centres) give back their centre, semi-axes and axes; what cannot be fitted is
refused in one line; label map entries for lesions; explicit ellipsoids in the schema."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import mvd_sim
from mvd_sim.core.errors import ScenarioError, SegmentationError
from mvd_sim.core.geometry.ellipsoid import signed_distance
from mvd_sim.scenario import parse_scenario
from mvd_sim.segmentation.importer import import_volume
from mvd_sim.segmentation.labelmap import parse_label_map
from mvd_sim.segmentation.lesion_fit import MIN_VOXELS, fit_lesion, moments_ellipsoid
from mvd_sim.segmentation.phantom import label_phantom, phantom_label_map
from mvd_sim.segmentation.volume import LabelVolume

SPACING_MM = 0.5
#: (semi-axes mm, xyz Euler degrees, centre mm): a schwannoma, a nidus, an aneurysm's dome.
CASES = [((6.0, 5.0, 4.0), (30.0, -20.0, 50.0), (0.13, -0.27, 0.31)),
         ((4.0, 3.0, 2.5), (-65.0, 10.0, 35.0), (0.41, 0.08, -0.19)),
         ((1.25, 1.25, 1.25), (0.0, 0.0, 0.0), (-0.22, 0.17, 0.05))]


def _voxelised(semi, euler, centre, spacing=SPACING_MM):
    """A mask of the ellipsoid (voxel centres inside) and its grid's affine (world mm)."""
    axes = Rotation.from_euler("xyz", euler, degrees=True).as_matrix().T   # rows
    n = int(2 * max(semi) / spacing) + 12
    affine = np.diag([spacing, spacing, spacing, 1.0])
    affine[:3, 3] = -spacing * (n // 2)
    points = np.indices((n, n, n)).reshape(3, -1).T * spacing + affine[:3, 3]
    inside = signed_distance((points - np.asarray(centre)) @ axes.T, np.asarray(semi)) < 0
    return inside.reshape(n, n, n), affine, axes


@pytest.mark.parametrize("semi, euler, centre", CASES)
def test_a_voxelised_oblique_ellipsoid_gives_back_its_centre_axes_and_semi_axes(semi, euler,
                                                                                 centre):
    mask, affine, axes = _voxelised(semi, euler, centre)
    fit = fit_lesion(mask, np.zeros_like(mask), affine, "test")
    assert np.linalg.norm(fit.centre_mm - centre) < 0.05            # a tenth of a voxel
    assert np.abs(fit.semi_axes_mm - sorted(semi, reverse=True)).max() < 0.1
    assert fit.rms_mm < 0.15
    if len(set(semi)) == 3:   # distinct semi-axes: each axis found (up to sign)
        order = np.argsort(semi)[::-1]
        alignment = np.abs(np.einsum("ij,ij->i", fit.axes, axes[order]))
        assert alignment.min() > 0.99
    assert np.allclose(fit.axes @ fit.axes.T, np.eye(3)) and np.linalg.det(fit.axes) > 0


def test_the_moments_of_a_solid_ellipsoid_give_its_semi_axes():
    """Closed form: the covariance of a uniform solid ellipsoid is diag(a^2) / 5."""
    mask, affine, _ = _voxelised((6.0, 4.0, 3.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.25)
    points = np.argwhere(mask) @ affine[:3, :3].T + affine[:3, 3]
    guess = moments_ellipsoid(points)
    assert np.abs(guess.semi_axes_mm - [6.0, 4.0, 3.0]).max() < 0.05
    assert np.linalg.norm(guess.centre_mm) < 0.02


def test_a_hidden_cap_is_fitted_from_what_shows():
    """A dome whose side is covered by another label (its parent vessel winning the shared
    voxels) is fitted to its own surface only."""
    mask, affine, _ = _voxelised((2.0, 2.0, 2.0), (0.0, 0.0, 0.0), (0.1, 0.0, 0.0))
    points = np.indices(mask.shape).reshape(3, -1).T * SPACING_MM + affine[:3, 3]
    covered = (points[:, 0] > 1.3).reshape(mask.shape)   # the parent vessel's voxels
    fit = fit_lesion(mask & ~covered, mask & covered, affine, "test")
    assert np.linalg.norm(fit.centre_mm - [0.1, 0.0, 0.0]) < 0.1
    assert np.abs(fit.semi_axes_mm - 2.0).max() < 0.15


def test_too_few_voxels_are_refused_in_one_line():
    mask = np.zeros((10, 10, 10), dtype=bool)
    mask[4:6, 4:6, 4:6] = True
    message = rf"^case.nii: label 6 \(tumour\): 8 voxels; a lesion needs at least {MIN_VOXELS}"
    with pytest.raises(SegmentationError, match=message) as err:
        fit_lesion(mask, np.zeros_like(mask), np.eye(4), "case.nii: label 6 (tumour)")
    assert "\n" not in str(err.value)


def test_a_lesion_label_missing_from_the_volume_is_refused_in_one_line():
    """The bundled schwannoma's phantom with the mass' voxels cleared: the import names the
    label and refuses."""
    scene = mvd_sim.Case.bundled("schwannoma_porus_right").scene
    volume, _ = label_phantom(scene, 0.5)
    label_map = parse_label_map(phantom_label_map(scene), "labels.yaml")
    mass = label_map.lesions[0]
    labels = np.where(volume.labels == mass.key, 0, volume.labels).astype(volume.labels.dtype)
    with pytest.raises(SegmentationError, match=rf"^phantom of {scene.name}: label "
                                                rf"{mass.key} \(schwannoma\) is not in the "
                                                "volume$"):
        import_volume(LabelVolume(labels, volume.affine, volume.source), label_map)


@pytest.mark.parametrize("entry, message", [
    ({"type": "mass"}, r"a mass entry takes type, id and kind \(got nothing"),
    ({"type": "mass", "kind": "glioma"}, r"kind 'glioma': expected one of schwannoma"),
    ({"type": "aneurysm", "vessel": "aica"}, r"'aica' is not the id of a vessel of the map"),
    ({"type": "nidus", "feeders": [], "drainers": ["pica"]}, r"feeders: expected a list"),
    ({"type": "PICA", "vessel": "pica"}, r"a PICA entry takes type and id \(got vessel"),
])
def test_bad_lesion_entries_are_refused_in_one_line(entry, message):
    data = {"structures": {1: "brainstem", 2: "CN7", 3: "CN8", 4: "PICA", 5: entry}}
    with pytest.raises(SegmentationError, match=rf"^labels.yaml: structures\[5\]: {message}"):
        parse_label_map(data, "labels.yaml")


def test_lesion_entries_name_their_vessels():
    data = {"structures": {1: "brainstem", 2: "CN7", 3: "CN8", 4: "PICA", 5: "vein",
                           6: {"type": "mass", "kind": "meningioma"},
                           7: {"type": "aneurysm", "vessel": "pica", "id": "dome"},
                           8: {"type": "nidus", "feeders": ["pica"], "drainers": ["vein"]}}}
    lesions = parse_label_map(data, "labels.yaml").lesions
    assert [(s.kind, s.id) for s in lesions] == [("mass", "mass"), ("aneurysm", "dome"),
                                                 ("nidus", "nidus")]
    assert (lesions[0].mass_kind, lesions[1].vessel, lesions[2].feeders,
            lesions[2].drainers) == ("meningioma", "pica", ("pica",), ("vein",))


# -- explicit ellipsoids in the schema -------------------------------------------------------
_ELLIPSOID = {"centre_mm": [1.0, 9.0, 2.0], "semi_axes_mm": [3.0, 2.0, 2.0],
              "axes": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}


def _case(**extra):
    return {"schema_version": 1, "title": "t", "description": "d", "side": "right",
            "vessels": [{"id": "ba", "type": "BA"}, {"id": "aica", "type": "AICA"}], **extra}


@pytest.mark.parametrize("extra, message", [
    ({"masses": [{"id": "m", "kind": "lipoma", "ellipsoid": _ELLIPSOID, "from": "anterior"}]},
     r"masses\[0\]: ellipsoid gives the mass's geometry; leave out from$"),
    ({"aneurysms": [{"id": "a", "vessel": "aica"}]},
     r"give vessel_s_mm .* or ellipsoid"),
    ({"masses": [{"id": "m", "kind": "lipoma", "ellipsoid": {**_ELLIPSOID, "axes": [
        [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]}}]},
     r"axes: the rows must be orthonormal"),
    ({"masses": [{"id": "m", "kind": "lipoma", "ellipsoid": {**_ELLIPSOID,
                                                            "semi_axes_mm": [3, 2, 40.0]}}]},
     r"semi_axes_mm"),
])
def test_an_explicit_ellipsoid_is_validated_in_one_line(extra, message):
    with pytest.raises(ScenarioError, match=message) as err:
        parse_scenario(_case(**extra))
    assert "\n" not in str(err.value)


def test_an_explicit_mass_is_built_where_given_and_drapes_an_atlas_case():
    """An atlas case's nerves are at rest: a mass given as an ellipsoid drapes them as a
    placed one does; the ellipsoid is built exactly as given (mirrored on the left)."""
    placed = mvd_sim.Case.bundled("schwannoma_porus_right").scene.lesions["schwannoma"].body
    given = {"centre_mm": placed.centre.tolist(), "semi_axes_mm": placed.semi_axes_mm.tolist(),
             "axes": placed.axes.tolist()}
    scene = mvd_sim.Case.from_spec(parse_scenario(_case(masses=[
        {"id": "tumour", "kind": "schwannoma", "ellipsoid": given}])), "t").scene
    body = scene.lesions["tumour"].body
    assert np.allclose(body.centre, placed.centre) and np.allclose(body.axes, placed.axes)
    cn7 = scene.nerves["CN7"]
    assert float((body.signed_distance(cn7.points) - cn7.radius).min()) > -1e-6
    assert np.abs(cn7.points - scene.rest_nerves["CN7"].points).max() > 1.0
    left = mvd_sim.Case.from_spec(parse_scenario(_case(side="left", masses=[
        {"id": "tumour", "kind": "schwannoma", "ellipsoid": given}])), "t").scene
    assert np.allclose(left.lesions["tumour"].body.centre, placed.centre)


def test_an_imported_mass_displaces_nothing_again():
    """The imported schwannoma's nerves and vessels lie as imaged: built with the mass or
    without it, they are the same; the mass comes back where it was."""
    scene = mvd_sim.Case.bundled("schwannoma_porus_right").scene
    volume, pose = label_phantom(scene, 0.5)
    result = import_volume(volume, parse_label_map(phantom_label_map(scene), "labels.yaml"))
    with_mass = mvd_sim.Case.from_spec(result.spec, "with").scene
    without = mvd_sim.Case.from_spec(result.spec.model_copy(update={"masses": []}),
                                     "without").scene
    for name, tube in with_mass.tubes.items():
        assert np.array_equal(tube.points, without.tubes[name].points), name
    fitted = with_mass.lesions["schwannoma"].body
    centre = result.fit.to_world(with_mass.brainstem.to_midline(fitted.centre[None]))[0]
    truth = pose.to_world(scene, scene.lesions["schwannoma"].body.centre[None])[0]
    assert np.linalg.norm(centre - truth) < 0.1


@pytest.mark.parametrize("radius_mm", [3.0, 14.0])
def test_the_rest_course_under_a_mass_is_the_nerve_it_displaced(radius_mm):
    """Closed form: a straight nerve (radius 0.8 mm) whose axis passes d from the centre of a
    sphere of radius R is displaced R + r - d (1.5 mm) by the drape, over a chord of
    2 sqrt((R + r)^2 - d^2); the stretch the mass holds (:func:`wrapped_at`; 13 mm of nerve
    under the 14 mm sphere, more than a vessel's 12 mm) bridged gives back the straight rest
    course."""
    from mvd_sim.anatomy.brainstem import Brainstem, BrainstemShape
    from mvd_sim.anatomy.context import Ellipsoid
    from mvd_sim.anatomy.lesions import Lesion, drape
    from mvd_sim.core.tube import Tube
    from mvd_sim.segmentation.rest import rest_course, wrapped_at

    x = np.linspace(30.0, 60.0, 301)    # far lateral of the brainstem
    nerve = Tube("CN7", "nerve", np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=1),
                 np.full(len(x), 0.8))
    centre = np.array([45.0, -(radius_mm + 0.8 - 1.5), 0.0])
    body = Ellipsoid("m", "schwannoma", centre, np.eye(3), np.full(3, radius_mm))
    draped = drape(nerve, Lesion("m", "schwannoma", "tumour", body))
    assert np.abs(draped.points[:, 1]).max() == pytest.approx(1.5, abs=1e-6)
    wrapped = wrapped_at(draped.points, draped.radius, [body])
    assert len(wrapped) == 1
    rest = rest_course(draped.points, draped.radius, [], Brainstem(BrainstemShape(),
                                                                   np.zeros(3)), 0.0, wrapped)
    assert np.abs(rest[:, 1:]).max() < 1e-6     # on the straight course
