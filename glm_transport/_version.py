"""The package version, in a module of its own so that no module inside the package needs to
import the package ``__init__`` (hatch reads it from here too)."""

__version__ = "0.1.0"
