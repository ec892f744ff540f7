"""One registry of plugins found by importing a package's modules: job sources and enrichment
sources both register this way, so a new one is a new module and nothing else."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PluginRegistry(Generic[T]):
    """Plugins by key; the package's modules (but `plumbing`) are imported on first use, and
    each registers its plugin at import."""

    def __init__(self, package: str, plumbing: Iterable[str], key: Callable[[T], str],
                 what: str) -> None:
        self._package = package
        self._plumbing = frozenset(plumbing)
        self._key = key
        self._what = what
        self._plugins: dict[str, T] = {}
        self._lock = threading.RLock()
        self._discovered = False
        self._sorted: dict[object, tuple[T, ...]] = {}  # by sort key, made once per change

    def register(self, plugin: T) -> T:
        """Add a plugin (at import of its module); a key registered twice is a bug."""
        name = self._key(plugin)
        with self._lock:
            known = self._plugins.get(name)
            if known is not None and known is not plugin:
                raise ValueError(f"{self._what} {name!r} registered twice")
            self._plugins[name] = plugin
            self._sorted.clear()
        return plugin

    def get(self, name: str) -> T | None:
        self._discover()
        return self._plugins.get(name)

    def sorted(self, order: Callable[[T], Any]) -> tuple[T, ...]:
        """Every plugin in `order` (cached: detection asks for it on every target)."""
        self._discover()
        found = self._sorted.get(order)
        if found is None:
            with self._lock:
                found = self._sorted[order] = tuple(sorted(self._plugins.values(), key=order))
        return found

    def _discover(self) -> None:
        if self._discovered:
            return
        with self._lock:
            if self._discovered:
                return
            package = importlib.import_module(self._package)
            for mod in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if mod.name not in self._plumbing:
                    importlib.import_module(f"{self._package}.{mod.name}")
            self._discovered = True
