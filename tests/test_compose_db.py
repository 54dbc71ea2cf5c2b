"""docker-compose.yml: PostgreSQL behind the API, nothing published beyond localhost by default."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _default(value: str) -> str:
    """What compose makes of ${VAR:-default} when VAR is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_runs_postgres_for_the_api():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert "ports" not in services["postgres"]  # only the API reaches the database
    api = services["api"]
    url = _default(api["environment"]["KB_DATABASE_URL"])
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_publishes_only_on_localhost_by_default():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = [_default(p) for s in services.values() for p in s.get("ports", [])]
    assert published and all(p.startswith("127.0.0.1:") for p in published), published
