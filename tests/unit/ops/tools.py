"""Finding (or installing) the external checkers the ops tests run: node + @asyncapi/parser, promtool, kustomize."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra import ROOT

ASYNCAPI_TOOLS = ROOT / "tools" / "asyncapi"
CACHE = Path(os.environ.get("DENIALOPS_CACHE", Path.home() / ".cache" / "denialops"))
KUSTOMIZE_MODULE = "sigs.k8s.io/kustomize/kustomize/v5@v5.5.0"


def node_with_asyncapi_parser() -> str:
    """`node`, with tools/asyncapi's locked packages installed; skips only when node is absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (ASYNCAPI_TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir():
        npm = shutil.which("npm")
        assert npm, "node is installed without npm"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ASYNCAPI_TOOLS, check=True, timeout=600)
    return node


def promtool() -> str:
    """Debian's `prometheus` package provides it (deploy/local/system-packages.sh); skips only when absent."""
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian package prometheus; `make setup` installs it)")
    return found


def kustomize_command() -> list[str]:
    """A kustomize renderer: `kustomize`, else `kubectl kustomize`, else kustomize built from its Go module
    into the project cache (Go is a prerequisite of the local stack anyway)."""
    if found := shutil.which("kustomize"):
        return [found, "build"]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    built = CACHE / "bin" / "kustomize"
    if not built.exists():
        go = shutil.which("go")
        if go is None:
            pytest.skip("neither kustomize, kubectl nor go is installed")
        env = {**os.environ, "GOBIN": str(built.parent)}
        subprocess.run([go, "install", KUSTOMIZE_MODULE], env=env, check=True, timeout=900)
    return [str(built), "build"]
