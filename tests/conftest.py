"""Session-wide real servers for every test that needs Kafka or MongoDB.

The servers are chosen once per session, in this order:
1. `KANDOO_KAFKA_BOOTSTRAP` and `KANDOO_MONGODB_URL` from the environment;
2. testcontainers (Kafka, MongoDB) when a Docker engine answers;
3. the deploy/local servers (Apache Kafka from Maven Central jars, FerretDB 1.24 with
   SQLite), test profile: their own ports and data folder, so `make run` is untouched.
A missing server fails the tests that need it; nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Servers:
    """Where the real Kafka broker and MongoDB-protocol server of this session listen."""

    kafka_bootstrap: str
    mongodb_url: str
    stop: Callable[[], object] = field(default=lambda: None)


def local_servers_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "localservers", ROOT / "deploy" / "local" / "localservers.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@cache
def choice() -> str:
    if os.environ.get("KANDOO_KAFKA_BOOTSTRAP") and os.environ.get("KANDOO_MONGODB_URL"):
        return "environment"
    if docker_engine_answers():
        return "testcontainers"
    return "local"


def describe() -> str:
    """Which servers this session uses, for the report header and the summary."""
    how = choice()
    if how == "environment":
        return (
            f"from the environment: Kafka {os.environ['KANDOO_KAFKA_BOOTSTRAP']}, "
            f"MongoDB {os.environ['KANDOO_MONGODB_URL']}"
        )
    if how == "testcontainers":
        return "testcontainers: Apache Kafka (KRaft) and MongoDB 8"
    local = local_servers_module()
    profile = local.PROFILES["test"]
    return (
        f"deploy/local: Apache Kafka {local.KAFKA_VERSION} at {profile.bootstrap}, "
        f"FerretDB 1.24 (SQLite) at {profile.mongodb_url}"
    )


def start_servers() -> Servers:
    how = choice()
    if how == "environment":
        return Servers(os.environ["KANDOO_KAFKA_BOOTSTRAP"], os.environ["KANDOO_MONGODB_URL"])
    if how == "testcontainers":
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        kafka = KafkaContainer().with_kraft().start()
        mongo = MongoDbContainer("mongo:8").start()

        def stop_containers() -> None:
            kafka.stop()
            mongo.stop()

        return Servers(kafka.get_bootstrap_server(), mongo.get_connection_url(), stop_containers)
    local = local_servers_module()
    profile = local.PROFILES["test"]
    if local.status(profile) == 0:  # left running on purpose: use them, leave them
        return Servers(profile.bootstrap, profile.mongodb_url)
    local.main(["reset", "--profile", "test"])  # a fresh log for every session
    if local.main(["start", "--profile", "test"]) != 0:
        pytest.exit("the local Kafka and FerretDB servers did not start; see above", 3)
    return Servers(
        profile.bootstrap,
        profile.mongodb_url,
        lambda: local.main(["stop", "--profile", "test"]),
    )


def pytest_report_header() -> str:
    return f"kandoo servers: {describe()}"


_used: list[str] = []


FIGURES: list[str] = []
"""Lines a test measured (the broker-loss figures): printed after pytest's summary."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for description in _used:
        terminalreporter.write_line(f"kandoo servers used: {description}")
    for line in FIGURES:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The session's real broker and database, started once."""
    found = start_servers()
    _used.append(describe())
    yield found
    found.stop()


def service_settings(servers: Servers, unique: str) -> dict[str, Any]:
    """What every service's settings share in a test: servers, prefix, env, secret."""
    return {
        "env": "test",
        "kafka_bootstrap": servers.kafka_bootstrap,
        "mongodb_url": servers.mongodb_url,
        "topic_prefix": f"test.{unique}.",
        "keys_mongodb_db": f"test_{unique}_keys",
        "jwt_secret": TEST_SECRET,
        "directory": str(ROOT / "deploy" / "config" / "directory.yaml"),
    }


TEST_SECRET = "a-test-secret-that-is-long-enough-for-hs256-xx"


@pytest.fixture
def unique() -> str:
    """A short id that keeps this test's topics, groups and databases apart from others'."""
    return uuid.uuid4().hex[:10]


TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_topic(servers: Servers, unique: str) -> AsyncIterator[TopicFactory]:
    """Create topics named after this test; `await make_topic("events", partitions=3)`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()

    async def create(name: str, partitions: int = 1, **config: Any) -> str:
        full = f"test.{unique}.{name}"
        topic_config = {k.replace("_", "."): str(v) for k, v in config.items()}
        await admin.create_topics([NewTopic(full, partitions, 1, topic_configs=topic_config)])
        return full

    try:
        yield create
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def mongo_client(servers: Servers) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongodb_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def mongo_db(
    mongo_client: AsyncMongoClient[dict[str, Any]], unique: str
) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of this test's own, dropped afterwards."""
    name = f"test_{unique}"
    try:
        yield mongo_client[name]
    finally:
        await mongo_client.drop_database(name)
