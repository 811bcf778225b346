"""A small LRU of aggregate states, so a command on a hot aggregate skips the replay."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

type Key = tuple[str, str]


class StateCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Key, tuple[Any, int]] = OrderedDict()

    def get(self, key: Key) -> tuple[Any, int] | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Key, state: Any, version: int) -> None:
        if self.size <= 0:
            return
        self._items[key] = (state, version)
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)

    def evict(self, key: Key) -> None:
        self._items.pop(key, None)
