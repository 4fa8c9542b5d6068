"""The per-service Dockerfiles and the build context, checked offline (no Docker daemon).

The four services/*/Dockerfile differ only in a header of ARG defaults; the body after SHARED_BODY is
byte-identical, which a test below enforces so they cannot drift apart.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

from tests.unit.deploy.stack import ALL_INTERFACES, APP_PORTS, ROOT, Dockerfile, read_dockerfile

SHARED_BODY = "# ---- shared body: identical in every services/*/Dockerfile ----\n"
HEADER_ARGS = {"SERVICE", "MODULE", "PORT", "PORT_VARIABLE", "RUNTIME_APT_PACKAGES"}
BASE_IMAGE = "python:3.11-slim"
NOT_IN_CONTEXT = (".venv/", ".local/", ".git/", "data/", "tests/", "schemas/", "deploy/")


def dockerfile_of(name: str) -> Dockerfile:
    return read_dockerfile(ROOT / "services" / name / "Dockerfile")


def module_of(name: str) -> str:
    return "denialops_" + name.replace("-", "_")


def test_every_service_and_only_services_have_a_dockerfile() -> None:
    assert {path.parent.name for path in (ROOT / "services").glob("*/Dockerfile")} == set(APP_PORTS)
    assert {path.parent.name for path in (ROOT / "services").glob("*/pyproject.toml")} == set(APP_PORTS)


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_is_multi_stage_on_python_slim(name: str) -> None:
    dockerfile = dockerfile_of(name)
    assert len(dockerfile.stages) >= 2, "build tools stay in a builder stage"
    assert {stage.base for stage in dockerfile.stages} == {BASE_IMAGE}, "same Python in builder and runtime"
    builder_names = {stage.name for stage in dockerfile.stages[:-1]}
    copies_from = [item.args for item in dockerfile.final.all("COPY") if item.args.startswith("--from=")]
    assert copies_from, "the runtime stage takes its files from the builder stage"
    assert all(args.split()[0].removeprefix("--from=") in builder_names for args in copies_from)


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_runs_as_a_non_root_user(name: str) -> None:
    users = dockerfile_of(name).final.all("USER")
    assert users, "the runtime stage sets USER"
    user = users[-1].args.split(":")[0]
    assert user not in {"root", "0", ""}
    assert user == "10001", "a fixed high uid that Kubernetes runAsUser can name"
    runs = " ".join(item.args for item in dockerfile_of(name).final.all("RUN"))
    assert "useradd" in runs, "the user exists in /etc/passwd"
    assert "--uid 10001" in runs


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_healthcheck_probes_readiness_on_the_service_port(name: str) -> None:
    dockerfile = dockerfile_of(name)
    checks = dockerfile.final.all("HEALTHCHECK")
    assert len(checks) == 1, "exactly one HEALTHCHECK in the runtime stage"
    assert "CMD" in checks[0].args.split()
    assert "/health/ready" in checks[0].args
    env = dockerfile.env(dockerfile.final)
    # The port answers to one name, the service's own (no HTTP_PORT beside it); the check derives that
    # name from the module, as the Python one-liner does.
    port_variable = env["DENIALOPS_MODULE"].removeprefix("denialops_").upper() + "_PORT"
    assert port_variable == name.replace("-", "_").upper() + "_PORT"
    assert env[port_variable] == str(APP_PORTS[name])
    assert "HTTP_PORT" not in env
    assert "os.environ['DENIALOPS_MODULE'].removeprefix('denialops_').upper() + '_PORT'" in checks[0].args


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_listens_on_all_interfaces_and_exposes_its_port(name: str) -> None:
    dockerfile = dockerfile_of(name)
    env = dockerfile.env(dockerfile.final)
    assert env["HTTP_HOST"] == ALL_INTERFACES
    exposed = [dockerfile.resolve(item.args) for item in dockerfile.final.all("EXPOSE")]
    assert exposed == [str(APP_PORTS[name])]


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_starts_the_service_module(name: str) -> None:
    dockerfile = dockerfile_of(name)
    module = dockerfile.env(dockerfile.final)["DENIALOPS_MODULE"]
    assert module == module_of(name)
    assert (ROOT / "services" / name / "src" / module / "__main__.py").is_file()
    commands = dockerfile.final.all("CMD")
    assert len(commands) == 1
    assert shlex.split(commands[0].args.strip("[]").replace(",", " "))[-1] == 'exec python -m "$DENIALOPS_MODULE"'


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_installs_only_its_service_from_the_lock(name: str) -> None:
    dockerfile = dockerfile_of(name)
    syncs = [dockerfile.resolve(item.args) for item in dockerfile.stages[0].all("RUN") if "uv sync" in item.args]
    assert len(syncs) == 2, "dependencies first (cached layer), then the workspace packages"
    for command in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f'--package "denialops-{name}"'):
            assert flag in command, f"{flag} missing from: {command}"
    assert "--no-install-workspace" in syncs[0]
    assert "--no-install-workspace" not in syncs[1]
    makefile_uv = re.search(r"^UV_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert makefile_uv is not None
    assert dockerfile.global_args["UV_VERSION"] == makefile_uv.group(1), "the same uv as `make setup`"


def test_only_intake_installs_tesseract() -> None:
    for name in APP_PORTS:
        packages = dockerfile_of(name).global_args["RUNTIME_APT_PACKAGES"].split()
        assert ("tesseract-ocr" in packages) == (name == "intake"), name
    runs = " ".join(item.args for item in dockerfile_of("intake").final.all("RUN"))
    assert "apt-get install -y --no-install-recommends ${RUNTIME_APT_PACKAGES}" in runs


def test_dockerfiles_differ_only_in_their_arg_header() -> None:
    bodies: dict[str, str] = {}
    for name in APP_PORTS:
        text = (ROOT / "services" / name / "Dockerfile").read_text(encoding="utf-8")
        assert text.count(SHARED_BODY) == 1, f"services/{name}/Dockerfile lacks the shared-body marker"
        header, body = text.split(SHARED_BODY)
        bodies[name] = body
        header_args = {
            line.removeprefix("ARG ").split("=", 1)[0]
            for line in header.splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert all(line.startswith(("#", "ARG ")) for line in header.splitlines() if line.strip()), name
        assert header_args == HEADER_ARGS, name
        assert dockerfile_of(name).global_args["SERVICE"] == name
    reference = bodies["intake"]
    drifted = sorted(name for name, body in bodies.items() if body != reference)
    assert drifted == [], f"edit the shared body of every services/*/Dockerfile alike; these differ: {drifted}"


def workspace_members() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = pyproject["tool"]["uv"]["workspace"]["members"]
    return sorted(
        path.parent.relative_to(ROOT).as_posix()
        for pattern in patterns
        for path in ROOT.glob(f"{pattern}/pyproject.toml")
    )


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_dockerfile_copies_every_workspace_manifest_before_syncing(name: str) -> None:
    """uv refuses to load the workspace when a member's pyproject.toml is missing."""
    dockerfile = dockerfile_of(name)
    copied = {
        dockerfile.resolve(source)
        for item in dockerfile.stages[0].all("COPY")
        for source in item.args.split()[:-1]
        if not source.startswith("--")
    }
    members = workspace_members()
    assert len(members) >= 6
    missing = [member for member in members if f"{member}/pyproject.toml" not in copied]
    assert missing == []
    assert {"pyproject.toml", "uv.lock"} <= copied


def build_context(root: Path = ROOT) -> set[str]:
    """The paths `docker build` sends from `root`, after the repository's .dockerignore (docker-py implements
    the same matching rules as the Docker CLI)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return {Path(path).as_posix() for path in exclude_paths(str(root), patterns)}


def test_dockerignore_keeps_only_sources_and_manifests(tmp_path: Path) -> None:
    """On a tree that has every kind of clutter (whatever this checkout happens to contain)."""
    wanted = [
        "pyproject.toml",
        "uv.lock",
        "cli/pyproject.toml",
        "shared/pyproject.toml",
        "shared/src/denialops_shared/kafka.py",
        "services/intake/Dockerfile",
        "services/intake/pyproject.toml",
        "services/intake/src/denialops_intake/api.py",
    ]
    unwanted = [
        ".venv/bin/python",
        ".local/logs/intake.log",
        ".git/HEAD",
        ".env",
        "data/samples/letters/001.txt",
        "tests/unit/test_x.py",
        "schemas/events/x.json",
        "deploy/k8s/intake.yaml",
        "cli/src/denialops_cli/main.py",
        "Makefile",
        "shared/src/denialops_shared/__pycache__/kafka.cpython-311.pyc",
        "services/intake/src/denialops_intake/stray.pyc",
        "services/intake/.venv/bin/python",
        "services/intake/.mypy_cache/3.11/x.json",
        "services/router/.pytest_cache/v/x",
        "services/router/.ruff_cache/x",
        "shared/.hypothesis/examples/x",
        "shared/src/denialops_shared.egg-info/PKG-INFO",
    ]
    for relative in wanted + unwanted:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x", encoding="utf-8")
    context = build_context(tmp_path)
    assert sorted(path for path in wanted if path not in context) == []
    assert sorted(path for path in unwanted if path in context) == []
    assert sorted(path for path in context if "__pycache__" in path.split("/")) == [], "not even empty cache dirs"


def test_build_context_holds_what_the_dockerfiles_copy() -> None:
    context = build_context()
    for name in APP_PORTS:
        dockerfile = dockerfile_of(name)
        for stage in dockerfile.stages:
            for item in stage.all("COPY"):
                if item.args.startswith("--from="):
                    continue
                for source in item.args.split()[:-1]:
                    path = dockerfile.resolve(source).rstrip("/")
                    present = path in context and (
                        (ROOT / path).is_file() or any(entry.startswith(f"{path}/") for entry in context)
                    )
                    assert present, f"services/{name}/Dockerfile copies {path}, which is not in the build context"


def test_build_context_leaves_out_venv_samples_tests_and_caches() -> None:
    context = build_context()
    assert "pyproject.toml" in context
    leaked = sorted(
        path
        for path in context
        if path.startswith(NOT_IN_CONTEXT)
        or "__pycache__" in path.split("/")
        or path.endswith((".pyc", ".pyo"))
        or "/.mypy_cache" in path
    )
    assert leaked == []


def production_packages(member: str) -> set[str]:
    """Every package `uv sync --no-dev --package member` installs, read from uv.lock (extras followed)."""
    lock = {package["name"]: package for package in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    seen: set[str] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [(member, ())]
    while pending:
        name, extras = pending.pop()
        package = lock[name]
        requirements = list(package.get("dependencies", []))
        for extra in extras:
            requirements += package.get("optional-dependencies", {}).get(extra, [])
        if name in seen and not extras:
            continue
        seen.add(name)
        pending += [(r["name"], tuple(r.get("extra", ()))) for r in requirements]
    return seen


# What `uvicorn[standard]` adds for development only: auto-reload, .env files, YAML logging configs.
DEVELOPMENT_ONLY = {"watchfiles", "python-dotenv", "pyyaml"}


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_images_install_what_runs_in_production_only(name: str) -> None:
    installed = production_packages(f"denialops-{name}")
    assert {"uvicorn", "uvloop", "httptools"} <= installed
    # pydantic-settings needs python-dotenv for itself; the rest of uvicorn[standard] stays out.
    assert installed & DEVELOPMENT_ONLY <= {"python-dotenv"}
    assert ("websockets" in installed) == (name == "intake"), "only intake serves a WebSocket"
