"""A scenario's findings against the analysis: each kind of difference is named."""

from mvd_sim.contact.analysis import analyze
from mvd_sim.contact.findings import findings_differences
from mvd_sim.scenario import FindingsSpec

from ..conftest import bundled_scene, bundled_spec


def test_each_difference_is_named():
    report = analyze(bundled_scene("va_pushes_aica_right"))
    findings = bundled_spec("va_pushes_aica_right").findings
    assert findings_differences(findings, report) == []
    (contact,) = [c for c in findings.contacts if c.vessel == "aica"]
    wrong = FindingsSpec(
        pattern="double",
        contacts=[c for c in findings.contacts if c is not contact]
        + [contact.model_copy(update={"segment": "CP"})],
        vessel_contacts=[["aica", "ba"]])
    differences = findings_differences(wrong, report)
    assert f"pattern 'double', the analysis finds {report.pattern!r}" in differences
    assert f"aica on CN7 at the CP ({contact.severity}) not found" in differences
    assert f"aica on CN7 at the {contact.segment} ({contact.severity}) not listed" in differences
    assert "aica touching ba not found" in differences
    assert "aica touching va not listed" in differences
