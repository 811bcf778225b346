"""Demo traffic for the dashboard: plausible todo commands for many owners, from a seed.

`DemoOwner` mirrors one owner's list so every command it proposes is valid; the seeding
loop (`ironstar.maintenance.seed_demo`) sends them through the real command path and
stamps each with a simulated `occurred_at`, so charts show a spread over days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ironstar.features.todo.domain import (
    AddTodo,
    ClearCompleted,
    CompleteTodo,
    DeleteTodo,
    MoveTodo,
    RenameTodo,
    ReopenTodo,
    TodoCommand,
)

VERBS = ("Buy", "Call", "Email", "Fix", "Review", "Write", "Plan", "Book", "Pay", "Clean")
THINGS = (
    "milk", "the dentist", "Alice about the invoice", "the leaking tap", "PR #{n}",
    "the quarterly report", "a trip to Lisbon", "the electricity bill", "the garage",
    "slides for Monday", "tickets for the concert", "the onboarding doc",
)  # fmt: skip
MAX_OPEN = 12


@dataclass
class DemoOwner:
    owner: str
    rng: random.Random
    todos: list[tuple[str, bool]] = field(default_factory=list)  # (todo_id, completed)
    added: int = 0

    def next_command(self) -> TodoCommand:
        weights = self._weights()
        action = self.rng.choices(list(weights), list(weights.values()))[0]
        return getattr(self, f"_{action}")()  # type: ignore[no-any-return]

    def _weights(self) -> dict[str, float]:
        done = sum(c for _, c in self.todos)
        open_ = len(self.todos) - done
        return {
            "add": 5.0 if open_ < MAX_OPEN else 0.5,
            "complete": 4.0 if open_ else 0.0,
            "reopen": 0.4 if done else 0.0,
            "rename": 0.8 if self.todos else 0.0,
            "delete": 0.6 if self.todos else 0.0,
            "move": 0.6 if len(self.todos) > 1 else 0.0,
            "clear": 0.5 if done > 2 else 0.0,
        }

    def _add(self) -> TodoCommand:
        self.added += 1
        todo_id = f"{self.owner}-{self.added}"
        self.todos.append((todo_id, False))
        return AddTodo(todo_id, self.text())

    def _complete(self) -> TodoCommand:
        # Older todos are likelier to be done: completion times spread from minutes to days.
        open_ = [i for i, (_, c) in enumerate(self.todos) if not c]
        index = open_[min(int(self.rng.expovariate(0.7)), len(open_) - 1)]
        todo_id = self.todos[index][0]
        self.todos[index] = (todo_id, True)
        return CompleteTodo(todo_id)

    def _reopen(self) -> TodoCommand:
        index = self.rng.choice([i for i, (_, c) in enumerate(self.todos) if c])
        todo_id = self.todos[index][0]
        self.todos[index] = (todo_id, False)
        return ReopenTodo(todo_id)

    def _rename(self) -> TodoCommand:
        return RenameTodo(self.rng.choice(self.todos)[0], self.text())

    def _delete(self) -> TodoCommand:
        todo_id, _ = self.todos.pop(self.rng.randrange(len(self.todos)))
        return DeleteTodo(todo_id)

    def _move(self) -> TodoCommand:
        index = self.rng.randrange(len(self.todos))
        to_index = self.rng.randrange(len(self.todos) - 1)
        to_index += to_index >= index  # never a no-op move
        item = self.todos.pop(index)
        self.todos.insert(to_index, item)
        return MoveTodo(item[0], to_index)

    def _clear(self) -> TodoCommand:
        self.todos = [t for t in self.todos if not t[1]]
        return ClearCompleted()

    def text(self) -> str:
        thing = self.rng.choice(THINGS).format(n=self.rng.randint(100, 999))
        return f"{self.rng.choice(VERBS)} {thing} #{self.added}"


class DemoClock:
    """Simulated time: `events` ticks spread over `span` and ending now, busier by day."""

    def __init__(self, rng: random.Random, *, events: int, end: datetime, span: timedelta) -> None:
        self.rng = rng
        self.end = end
        self.now = end - span
        # 1.1: the day's average of the busy factor below, so the ticks fill `span`.
        self.mean_gap = span.total_seconds() / max(events, 1) * 1.1

    def tick(self) -> str:
        hour = self.now.hour
        busy = 1.8 if 8 <= hour < 20 else 0.4
        gap = timedelta(seconds=self.rng.expovariate(busy / self.mean_gap))
        self.now = min(self.now + gap, self.end)
        return self.now.isoformat()


def owner_ids(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.getrandbits(64):016x}" for _ in range(count)]


def pick_weights(count: int) -> list[float]:
    """Zipf-like activity: a few owners are much busier than the rest."""
    return [1 / (rank + 1) ** 0.9 for rank in range(count)]
