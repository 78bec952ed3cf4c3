"""Registries of plugin modules: built-in modules of a package, then those other packages declare
under an entry-point group (the way datasette finds its plugins). Formats and market layouts use it."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import ModuleType


class ModuleRegistry:
    """Modules by their NAME, in order: the built-in ones as listed, then entry-point plugins."""

    def __init__(self, package: str, builtin: list[str], group: str):
        self.package, self.builtin, self.group = package, builtin, group
        self._mods: dict[str, ModuleType] | None = None

    def modules(self) -> dict[str, ModuleType]:
        if self._mods is None:
            found: dict[str, ModuleType] = {}
            for name in self.builtin:
                mod = importlib.import_module(f"{self.package}.{name}")
                found[mod.NAME] = mod
            for ep in entry_points(group=self.group):
                mod = ep.load()
                found[mod.NAME] = mod
            self._mods = found
        return self._mods

    def add(self, mod: ModuleType) -> None:
        """Add a module at run time (plugins, tests); it comes after the ones already known."""
        self.modules()[mod.NAME] = mod

    def remove(self, name: str) -> None:
        self.modules().pop(name, None)
