"""DenialOps intake service: the HTTP API and the case/run/artifact read model."""

from importlib.metadata import version

__version__ = version("denialops-intake")
