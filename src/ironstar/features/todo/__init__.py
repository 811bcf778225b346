"""Todo: TodoMVC, event-sourced, live across tabs, with drag-and-drop reordering."""

from __future__ import annotations

from ironstar.feature import Feature, FeatureParts
from ironstar.features.todo.domain import todo_list
from ironstar.features.todo.projections import TodoLists
from ironstar.features.todo.routes import TodoRoutes
from ironstar.services import Services
from ironstar.web.layout import NavEntry


def setup(services: Services) -> FeatureParts:
    lists = TodoLists(services.commands.codec(todo_list))
    services.extras["todo_lists"] = lists  # the event log's time travel renders with it
    return FeatureParts(routes=TodoRoutes(services, lists).routes(), projections=[lists])


feature = Feature(
    name="todo",
    setup=setup,
    nav=NavEntry(order=10, label="Todos", path="/", icon="list-checks"),
)
