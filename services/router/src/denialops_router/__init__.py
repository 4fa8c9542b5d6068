"""DenialOps router service: reads the denial letter into case facts and decides the route."""

from importlib.metadata import version

__version__ = version("denialops-router")
