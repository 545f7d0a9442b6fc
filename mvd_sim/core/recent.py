"""A bounded memo of the last few answers, by key: for what :func:`functools.lru_cache` cannot
key (arrays by their bytes, a brainstem by identity held alive, a batch of questions answered
together) or should not hold (a module-level cache a test swaps for an empty one)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Recent"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class Recent(Generic[K, V]):
    """The values of the last ``limit`` keys asked or put, the least recently used dropped
    first (``limit`` 0 keeps nothing). A value may be None. Values are returned as kept:
    callers hand out copies of mutable ones or keep them read-only.

    Examples
    --------
    >>> squares = Recent(2)
    >>> [squares.fetch(k, lambda: k * k) for k in (1, 2, 1, 3)]
    [1, 4, 1, 9]
    >>> squares.get(2, "dropped"), squares.get(1)
    ('dropped', 1)
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: K, default=None):
        """The value kept for ``key`` (now the most recent), else ``default``."""
        value = self._values.pop(key, _MISSING)
        if value is _MISSING:
            return default
        self._values[key] = value
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` as the most recent, dropping the least recent beyond
        :attr:`limit`."""
        self._values.pop(key, None)
        if self.limit <= 0:
            return
        while len(self._values) >= self.limit:
            del self._values[next(iter(self._values))]
        self._values[key] = value

    def fetch(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for ``key``, else ``make()``, kept."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = make()
            self.put(key, value)
        return value
