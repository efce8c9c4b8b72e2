"""Named extension points that lower domains call and higher domains fill.

A domain must not import a domain above it, yet accounts needs, for example, the
list of schools to offer at registration.  The higher domain connects a handler in
create_app; the lower one calls the hook by name.  Handlers live on the app, so two
apps in one process (tests) never share them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

EXTENSION_KEY = "peixun_hooks"


class Hooks:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)

    def connect(self, name: str, handler: Callable[..., Any]) -> None:
        self._handlers[name].append(handler)

    def call(self, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [handler(*args, **kwargs) for handler in self._handlers.get(name, [])]

    def first(self, name: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
        results = self.call(name, *args, **kwargs)
        return results[0] if results else default


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Hooks()


def hooks(app: Flask | None = None) -> Hooks:
    return (app or current_app).extensions[EXTENSION_KEY]
