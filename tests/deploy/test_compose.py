"""compose.yaml must be a valid Compose file that runs the suite as DESIGN.md describes.

These machines have only the Docker client, so the file is checked with Debian's
`docker-compose config` (installed by `make tools`), which validates it against the
Compose schema and resolves anchors and variables without an engine.
"""

from __future__ import annotations

import importlib
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
SECRETS = {
    "KANDOO_JWT_SECRET": "a-secret-given-by-the-operator-long-enough-for-hs256",
    "KANDOO_OPEN311_API_KEYS": '["key-of-the-city-app"]',
    "KANDOO_EMAIL_URL": "mailtos://kandoo:pw@smtp.huahin.example?from=kandoo@huahin.example&to={email}",
}


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
    result = compose_config(COMPOSE, **SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


def test_the_compose_file_validates(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) >= {
        "kafka-1",
        "mongodb-1",
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
    for missing in SECRETS:
        given = {k: v for k, v in SECRETS.items() if k != missing}
        result = compose_config(COMPOSE, **given)
        assert result.returncode != 0, missing
        assert missing in result.stderr, "the message names what to set"


def test_every_server_has_a_healthcheck_and_services_wait_for_them(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    servers = [f"{s}-{i}" for s in ("kafka", "mongodb") for i in (1, 2, 3)]
    for name in [*servers, *SERVICE_PORTS, "web", "gateway"]:
        assert "healthcheck" in services[name], name
    for name in [*SERVICE_PORTS, "web"]:
        deps = services[name]["depends_on"]
        assert deps["mongodb-init"]["condition"] == "service_completed_successfully"
        assert deps["kafka-init"]["condition"] == "service_completed_successfully"
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert "/readyz" in probe, f"{name}: probe what a client needs (Kafka and MongoDB too)"
    for init, server in (("kafka-init", "kafka"), ("mongodb-init", "mongodb")):
        for i in (1, 2, 3):
            assert services[init]["depends_on"][f"{server}-{i}"]["condition"] == "service_healthy"


def test_three_brokers_and_a_replica_set_of_three_behind_the_services(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    brokers = [services[f"kafka-{i}"]["environment"] for i in (1, 2, 3)]
    assert [int(b["KAFKA_NODE_ID"]) for b in brokers] == [1, 2, 3]
    assert len({b["CLUSTER_ID"] for b in brokers}) == 1
    for i, broker in enumerate(brokers, 1):
        assert broker["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
        assert broker["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://kafka-{i}:9092"
        [volume] = targets(services[f"kafka-{i}"])
        assert broker["KAFKA_LOG_DIRS"] == volume, "the data is where the volume is"
        assert int(broker["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
    init = " ".join(services["mongodb-init"]["entrypoint"])
    assert all(f"mongodb-{i}:27017" in init for i in (1, 2, 3))
    for name in [*SERVICE_PORTS, "web"]:
        env = services[name]["environment"]
        assert env["KANDOO_KAFKA_BOOTSTRAP"].count("kafka-") == 3
        assert "replicaSet=kandoo" in env["KANDOO_MONGODB_URL"]
        assert (env["KANDOO_REPLICATION_FACTOR"], env["KANDOO_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    topics = services["kafka-init"]["environment"]
    assert (topics["KANDOO_REPLICATION_FACTOR"], topics["KANDOO_MIN_INSYNC_REPLICAS"]) == ("3", "2")


def targets(service: dict[str, Any]) -> list[str]:
    """Where a service's volumes are mounted (long or short syntax, as config gives it)."""
    return [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in service["volumes"]]


SETTINGS = {
    "intake": "kandoo.intake.settings:IntakeSettings",
    "routing": "kandoo.routing.settings:RoutingSettings",
    "reporting": "kandoo.reporting.settings:ReportingSettings",
    "notify": "kandoo.notify.settings:NotifySettings",
    "web": "kandoo.web.settings:WebSettings",
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_services_settings_accept_the_environment_compose_gives_it(
    resolved: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _, cls = SETTINGS[name].partition(":")
    settings_class = getattr(importlib.import_module(module), cls)
    for key in [k for k in os.environ if k.startswith("KANDOO_") or k == "PORT"]:
        monkeypatch.delenv(key)
    for key, value in resolved["services"][name]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = settings_class()  # production: every development default refused
    assert settings.env == "production"
    assert settings.host == "0.0.0.0", "reachable from the other containers"
    assert settings.replication_factor == 3


def test_the_image_user_can_write_where_the_services_write(resolved: dict[str, Any]) -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    user = re.findall(r"^USER (\d+)", dockerfile, re.MULTILINE)[-1]
    owned = re.findall(rf"chown -R {user}:{user} (\S+)", dockerfile)
    routing = resolved["services"]["routing"]
    model_dir = routing["environment"]["KANDOO_MODEL_DIR"]
    assert any(model_dir.startswith(path) for path in owned), "the image's user owns it"
    assert model_dir in targets(routing), "kept across restarts"
    assert not model_dir.startswith("/app"), "the code's folder stays read-only to the user"


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
