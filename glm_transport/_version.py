"""The package version, in a module of its own.

No module inside the package then needs to import the package ``__init__`` (hatch reads it from here
too).
"""

__version__ = "0.1.0"
