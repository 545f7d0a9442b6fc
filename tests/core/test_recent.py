"""The bounded memo of recent answers (:mod:`mvd_sim.core.recent`)."""

from __future__ import annotations

from mvd_sim.core.recent import Recent


def test_the_least_recently_used_is_dropped_first_and_a_hit_is_not_made_again():
    made = []
    recent = Recent(2)

    def fetch(key):
        return recent.fetch(key, lambda: made.append(key) or key * 10)

    assert [fetch(k) for k in (1, 2, 1, 3, 1, 2)] == [10, 20, 10, 30, 10, 20]
    # 1 was used again before 3 came, so 2 went; 2 then comes back in place of 3
    assert made == [1, 2, 3, 2] and len(recent) == 2
    assert recent.get(3, "gone") == "gone" and recent.get(1) == 10


def test_none_is_a_value_kept_and_a_limit_of_zero_keeps_nothing():
    made = []
    recent = Recent(1)
    assert recent.fetch("k", lambda: made.append(1)) is None
    assert recent.fetch("k", lambda: made.append(2)) is None and made == [1]
    nothing = Recent(0)
    nothing.put("k", 1)
    assert len(nothing) == 0 and nothing.fetch("k", lambda: 2) == 2 and len(nothing) == 0


def test_put_replaces_a_key_as_the_most_recent():
    recent = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    recent.put("a", 3)
    recent.put("c", 4)  # b is the least recent now
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (3, None, 4)
