"""An exercise's own report: the anatomy and the case in 3D, without a word or a patch of
its answer; the same report with the answer shows it (so the checks can fail)."""

from __future__ import annotations

import json
import re

import pytest

from support import EXERCISE_SECRET, drawn
from mvd_sim.exercise.folder import REPORT
from mvd_sim.exercise.key import unseal
from mvd_sim.report.build import case_report
from mvd_sim.surgery.operation import Operation
from mvd_sim.viz.webscene import PATCHES


def _page_text(html: str) -> str:
    """What the page says: the HTML without its scripts and embedded images."""
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)


def _answer_words(key: dict) -> list[str]:
    """Words the answer is made of: its pattern, each CN VII contact's segment and
    severity, and the words that would name them."""
    answer = key["answer"]
    words = {answer["pattern"], "culprit", "Culprits", "Pattern", "severity", "segment"}
    for contact in answer["contacts"]:
        words |= {contact["segment"], contact["severity"]}
    return sorted(words)


def _manifest(html: str) -> dict:
    found = re.search(r"id='mvd-scene-manifest'>(.*?)</script>", html, flags=re.S)
    return json.loads(found.group(1))


def test_the_exercise_report_names_none_of_the_answer(exercise_folder):
    html = (exercise_folder / REPORT).read_text(encoding="utf-8")
    key = unseal((exercise_folder / "key.sealed").read_bytes(), EXERCISE_SECRET.encode())
    text = _page_text(html)
    found = [w for w in _answer_words(key) if re.search(rf"\b{re.escape(w)}\b", text)]
    assert found == []
    assert "<h2>The case in 3D</h2>" in text and text.count("<img ") == 2
    groups = [g["name"] for g in _manifest(html)["groups"]]
    assert PATCHES not in groups and "CN VII" in groups


def test_the_same_report_with_the_answer_shows_it():
    exercise = drawn("easy", 0)
    html = case_report(exercise.case, Operation(), interactive=False)
    key = {"answer": {"pattern": exercise.report.pattern,
                      "contacts": [{"segment": c.segment, "severity": c.severity}
                                   for c in exercise.report.contacts if c.nerve == "CN7"]}}
    text = _page_text(html)
    assert all(re.search(rf"\b{re.escape(w)}\b", text) for w in _answer_words(key)
               if w not in ("culprit", "segment"))


def test_the_3d_scene_of_the_exercise_has_no_contact_patch():
    """The exercise's 3D scene draws no patch part (no checkbox for them, fewer actors);
    the case's own scene does (easy 0: one PICA indenting CN VII)."""
    from mvd_sim.report.scene3d import interactive_section

    case = drawn("easy", 0).case
    hidden = interactive_section(case, Operation(), contacts=False)
    shown = interactive_section(case, Operation())
    assert PATCHES in [g["name"] for g in _manifest(shown)["groups"]]
    assert PATCHES not in [g["name"] for g in _manifest(hidden)["groups"]]
    assert len(_manifest(hidden)["actors"]) < len(_manifest(shown)["actors"])


def test_a_report_without_the_answer_refuses_an_operation():
    from mvd_sim.scenario import SpongeSpec

    exercise = drawn("easy", 0)
    pad = Operation(pads=[SpongeSpec(diameter_mm=2.0, s_mm=5.0)])
    with pytest.raises(ValueError, match="not an operation's outcome"):
        case_report(exercise.case, pad, answer=False)
