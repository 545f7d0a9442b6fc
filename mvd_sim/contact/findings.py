"""A scenario's ``findings:`` (what a surgeon would find) against the contact engine's report.

``mvd-sim validate`` refuses a scenario whose findings the analysis of its case as built does
not reproduce, and the bundled scenarios are tested with the same comparison.
"""

from __future__ import annotations

from collections import Counter

from mvd_sim.contact.analysis import ContactReport
from mvd_sim.scenario import FindingsSpec

__all__ = ["findings_differences"]


def findings_differences(findings: FindingsSpec, report: ContactReport) -> list[str]:
    """How ``report`` differs from ``findings``: its pattern, its contacts as (vessel, nerve,
    segment, severity), its vessel-vessel contacts; an empty list where they agree."""
    out = []
    if report.pattern != findings.pattern:
        out.append(f"pattern {findings.pattern!r}, the analysis finds {report.pattern!r}")
    expected = Counter((c.vessel, c.nerve, c.segment, c.severity) for c in findings.contacts)
    found = Counter((c.vessel, c.nerve, c.segment, c.severity) for c in report.contacts)
    for what, items in (("not found", expected - found), ("not listed", found - expected)):
        for vessel, nerve, segment, severity in sorted(items.elements()):
            out.append(f"{vessel} on {nerve} at the {segment} ({severity}) {what}")
    pairs = {frozenset(p) for p in findings.vessel_contacts}
    touching = {frozenset((v.vessel_a, v.vessel_b)) for v in report.vessel_contacts}
    for what, items in (("not found", pairs - touching), ("not listed", touching - pairs)):
        for pair in sorted(sorted(p) for p in items):
            out.append(f"{' touching '.join(pair)} {what}")
    return out
