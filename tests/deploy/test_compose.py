"""compose.yaml must be a valid Compose file that runs the suite as DESIGN.md describes.

These machines have only the Docker client, so the file is checked with Debian's
`docker-compose config` (installed by `make tools`), which validates it against the
Compose schema and resolves anchors and variables without an engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kandoo.runtime.priority import BACKGROUND

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
SERVICE_PORTS = {"intake": 8001, "reporting": 8002, "routing": 8003, "notify": 8004}


def compose_config(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    assert tool, "docker-compose is missing: run `make tools` (Debian package docker-compose)"
    return subprocess.run(
        [tool, "-f", str(path), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("KANDOO_")} | env,
    )


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    result = compose_config(COMPOSE, KANDOO_JWT_SECRET="a-secret-given-by-the-operator")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def test_the_compose_file_validates(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) >= {
        "kafka",
        "mongodb",
        "intake",
        "routing",
        "reporting",
        "notify",
        "prometheus",
    }


def test_an_invalid_compose_file_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        "services:\n  web:\n    image: x\n    depends_on: {db: {condition: sometimes}}\n"
    )
    assert compose_config(broken).returncode != 0


def test_the_services_refuse_to_start_without_a_secret_from_the_operator() -> None:
    result = compose_config(COMPOSE)
    assert result.returncode != 0
    assert "KANDOO_JWT_SECRET" in result.stderr


def test_every_server_has_a_healthcheck_and_services_wait_for_them(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    for name in ["kafka", "mongodb", *SERVICE_PORTS]:
        assert "healthcheck" in services[name], name
    for name in SERVICE_PORTS:
        deps = services[name]["depends_on"]
        assert deps["mongodb"]["condition"] == "service_healthy"
        assert deps["kafka-init"]["condition"] == "service_completed_successfully"
    assert services["kafka-init"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_prometheus_scrapes_every_service_on_its_design_port() -> None:
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {
        t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    }
    assert targets == {f"{name}:{port}" for name, port in SERVICE_PORTS.items()}


def test_the_compose_kafka_is_the_release_the_local_servers_run() -> None:
    from tests.conftest import local_servers_module

    version = local_servers_module().KAFKA_VERSION
    images = {
        s["image"] for s in yaml.safe_load(COMPOSE.read_text())["services"].values() if "image" in s
    }
    assert f"apache/kafka:{version}" in images


def test_the_compose_topic_script_creates_every_core_topic() -> None:
    from kandoo.events.topics import core_topics

    script = (ROOT / "deploy" / "kafka-topics.sh").read_text()
    for spec in core_topics():
        base = spec.name.removesuffix(".dlq")
        assert base in script, spec.name


def test_the_services_that_catch_up_from_kafka_yield_the_cpu(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    default = 1024  # Docker's weight when none is given
    for name in SERVICE_PORTS:
        shares = int(services[name].get("cpu_shares", default))
        if name in BACKGROUND:
            assert shares < default, f"{name} should yield the CPU to intake and routing"
        else:
            assert shares == default, f"{name} is on the write path: full weight"


def test_the_gateway_gets_every_value_its_template_names(resolved: dict[str, Any]) -> None:
    gateway = resolved["services"]["gateway"]
    template = (ROOT / "deploy" / "gateway" / "kandoo.conf.template").read_text()
    named = set(re.findall(r"\$\{(KANDOO_[A-Z_]+)\}", template))
    assert named
    assert named <= set(gateway["environment"])
    assert gateway["ports"][0]["target"] == 8080
