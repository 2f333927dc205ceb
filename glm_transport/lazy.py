"""Lazy exports for the packages' ``__init__``.

Each public name is imported from its module on first use, so importing a package costs nothing
until a class is touched.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exporter"]


def exporter(package: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``home`` maps each public name to its module."""

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}", name=name)
        try:
            value = getattr(importlib.import_module(module), name)
        except AttributeError as exc:
            # Python would report a failure inside the import as "cannot import name": say what
            # failed (usually a framework release older than the one required).
            raise ImportError(f"importing {name} from {package} failed: {exc}") from exc
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    return __getattr__
