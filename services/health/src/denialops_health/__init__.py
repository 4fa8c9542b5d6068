"""DenialOps health service: one place to see whether the whole system is up."""

from importlib.metadata import version

__version__ = version("denialops-health")
