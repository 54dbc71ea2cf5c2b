"""The project's own promises: compose file, pins, README commands."""

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_defines_qdrant_and_api():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"qdrant", "api"}
    assert services["api"]["environment"]["KB_QDRANT_URL"] == "http://qdrant:6333"
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker client not installed")
def test_compose_config_validates_with_docker():
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("docker compose plugin not available")
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_direct_dependencies_are_pinned_and_torch_is_cpu_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    assert "torch==2.13.0" in deps
    loose = [d for d in deps if "==" not in d]
    assert not loose, f"unpinned direct dependencies: {loose}"


def test_readme_starts_with_the_two_commands():
    lines = [l for l in (ROOT / "README.md").read_text().splitlines() if l.startswith("make ")]
    assert lines[0].startswith("make run") and lines[1].startswith("make test")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
