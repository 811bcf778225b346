"""A small LRU of aggregate states, so a command on a hot aggregate skips the replay."""

from __future__ import annotations

from typing import Any

type Key = tuple[str, str]


class StateCache:
    """Least recently *put* goes first: every command puts the state it decided on (a
    refusal too), so that is least recently used by commands. A plain dict keeps the
    order (a `get` that reorders an OrderedDict cost as much as the `put`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[Key, tuple[Any, int]] = {}

    def get(self, key: Key) -> tuple[Any, int] | None:
        return self._items.get(key)

    def put(self, key: Key, state: Any, version: int) -> None:
        items = self._items
        if items.pop(key, None) is None and len(items) >= self.size:
            if self.size <= 0:
                return
            del items[next(iter(items))]
        items[key] = (state, version)

    def evict(self, key: Key) -> None:
        self._items.pop(key, None)
