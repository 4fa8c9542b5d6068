"""DenialOps llm-worker service: writes the action plan and the document pack for a routed case."""

from importlib.metadata import version

__version__ = version("denialops-llm-worker")
