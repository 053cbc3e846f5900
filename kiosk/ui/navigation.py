"""Where the visitor is and how they got there: routes, the Back trail, and the one mapping
from a Home section to the screen that shows it (no widgets)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.content import LanguageContent, Section


@dataclass(frozen=True)
class Route:
    """Where the visitor is: a screen kind and, for some, the id it shows."""

    name: str
    arg: str | None = None

    @property
    def key(self) -> str:
        """A stable name for the screen, used in screenshots and tests."""
        return f"{self.name}-{self.arg}" if self.arg else self.name


HOME = Route("home")
# Screens a visitor may open from inside the form without ending it.
FORM_DETOURS = ("appointment", "language", "help")


def route_for_section(section: Section) -> Route:
    """The screen a Home section opens: its only topic directly, its list of topics, its
    table, or the screen of its kind (FAQ, sources, about)."""
    if section.kind == "topics":
        if len(section.items) == 1:
            return Route("topic", section.items[0])
        return Route("section", section.id)
    if section.kind == "table":
        return Route("table", section.items[0])
    return Route(section.kind)


def content_routes(lang: LanguageContent) -> list[Route]:
    """Every screen of content in ``lang`` a visitor can reach, Home first, then each
    section's screen and its topics, then Help and the language picker."""
    routes = [HOME]
    for section in lang.sections:
        opened = route_for_section(section)
        if opened.name != "topic":
            routes.append(opened)
        if section.kind == "topics":
            routes.extend(Route("topic", t) for t in section.items)
    return routes + [Route("help"), Route("language")]


class Trail:
    """The route on display and the Back trail behind it."""

    def __init__(self) -> None:
        self.route = HOME
        self._behind: list[Route] = []

    @property
    def behind(self) -> tuple[Route, ...]:
        return tuple(self._behind)

    def go(self, route: Route) -> None:
        """Show ``route`` next; the current one goes on the trail. The language picker is a
        detour, not a place: Back skips it."""
        if self.route.name != "language":
            self._behind.append(self.route)
        self.route = route

    def back(self) -> Route:
        """Step back (to Home when the trail is empty) and return where to."""
        self.route = self._behind.pop() if self._behind else HOME
        return self.route

    def before_detour(self) -> Route:
        """Where the visitor was before the language picker (or the route itself)."""
        if self.route.name == "language":
            return self._behind[-1] if self._behind else HOME
        return self.route

    def home(self) -> None:
        """Home, with the trail forgotten."""
        self._behind.clear()
        self.route = HOME

    def replace(self, route: Route) -> None:
        """Show ``route`` in place of the current one (the trail unchanged)."""
        self.route = route
