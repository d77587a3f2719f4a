"""The release, in a module that imports nothing, so that any layer may name it."""

__version__ = "0.2.0"
