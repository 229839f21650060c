"""The worker's caches keep the documents read lately within a memory budget
(corpus.bodycache.LRU), so that a worker serving many documents neither reads
each one again on every request nor grows without bound."""

from __future__ import annotations

from corpus.bodycache import LRU


def test_least_recently_used_items_leave_first_by_count():
    cache = LRU(size=2)
    for key in ("a", "b"):
        cache.get_or_make(key, lambda key=key: key.upper())
    cache.get_or_make("a", lambda: "never made: a is kept")
    cache.get_or_make("c", lambda: "C")
    made = []
    assert cache.get_or_make("a", lambda: made.append("a") or "A") == "A"
    assert not made  # "a" was used lately: "b" left
    assert cache.get_or_make("b", lambda: made.append("b") or "B again") == "B again"
    assert made == ["b"]


def test_items_leave_when_they_weigh_more_than_the_budget():
    cache = LRU(size=100, budget=10, weigh=len)
    cache.get_or_make(1, lambda: "xxxx")
    cache.get_or_make(2, lambda: "yyyy")
    assert len(cache) == 2 and cache.weight == 8
    cache.get_or_make(3, lambda: "zzzz")  # 12 > 10: the oldest leaves
    assert len(cache) == 2 and cache.weight == 8
    made = []
    cache.get_or_make(1, lambda: made.append(1) or "xxxx")
    assert made == [1]
    # One item heavier than the whole budget is still kept, alone.
    cache.get_or_make(4, lambda: "w" * 50)
    assert len(cache) == 1 and cache.weight == 50
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0
