"""Start, stop and check a real Apache Kafka broker and a real MongoDB-protocol server
(FerretDB 1.24 with SQLite) on this machine, without Docker.

    python deploy/local/localservers.py start|stop|status|ensure [--profile dev|test]
    python deploy/local/localservers.py start --brokers 3   # a KRaft cluster on loopback

`ensure` only fetches and builds (Kafka jars through Maven, FerretDB through Go) into the
ignored `.cache/` folder. `start` is idempotent: servers already answering are kept. Each
profile has its own ports and data folders, so `make test` never collides with `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("KANDOO_CACHE_DIR", ROOT / ".cache"))
HERE = Path(__file__).resolve().parent
KAFKA_VERSION = os.environ.get("KANDOO_KAFKA_VERSION", "4.4.0")  # docs/decisions/0001
KAFKA_LIBS = CACHE / f"kafka-{KAFKA_VERSION}" / "libs"
FERRETDB_BIN = CACHE / "bin" / "kandoo-ferretdb"
KAFKA_HEAP = "-Xmx512m"
KAFKA_JVM_OPTIONS = (  # what Kafka's own bin/kafka-run-class.sh gives the broker
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",  # G1's default aims at 200 ms: requests wait out each pause
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-Djava.awt.headless=true",
)
START_TIMEOUT_S = 90.0


class SetupError(RuntimeError):
    """Something the servers need is missing; the message says how to get it."""


NODE_PORT_STEP = 100
"""Broker n of a cluster listens on `kafka_port + 100 * (n - 1)` (its controller likewise)."""


@dataclass(frozen=True)
class Profile:
    """Ports and data folder of one set of local servers: one Kafka broker, or a KRaft
    cluster of `brokers` (each broker its own controller too), and FerretDB."""

    name: str
    kafka_port: int
    controller_port: int
    mongo_port: int
    brokers: int = 1

    @property
    def state_dir(self) -> Path:
        return CACHE / "local" / self.name

    @property
    def nodes(self) -> list[int]:
        return list(range(1, self.brokers + 1))

    def node_name(self, node: int) -> str:
        """`kafka` for the first broker (its pid, log and data keep their old names)."""
        return "kafka" if node == 1 else f"kafka-{node}"

    def broker_port(self, node: int) -> int:
        return self.kafka_port + NODE_PORT_STEP * (node - 1)

    def controller_port_of(self, node: int) -> int:
        return self.controller_port + NODE_PORT_STEP * (node - 1)

    @property
    def replication(self) -> int:
        """Copies of each partition: 3 on a cluster of three or more, else every broker."""
        return min(3, self.brokers)

    @property
    def min_insync(self) -> int:
        return 2 if self.replication >= 3 else 1

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.broker_port(n)}" for n in self.nodes)

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"


PROFILES = {
    "dev": Profile("dev", kafka_port=9092, controller_port=9093, mongo_port=27017),
    "test": Profile("test", kafka_port=29092, controller_port=29093, mongo_port=27117),
    # for trying another Kafka release beside the others (KANDOO_KAFKA_VERSION)
    "trial": Profile("trial", kafka_port=39092, controller_port=39093, mongo_port=37117),
    # three brokers, for the test that loses one (make test-cluster)
    # (below 32768: Linux hands out the ports above to outgoing connections)
    "cluster": Profile(
        "cluster", kafka_port=19092, controller_port=19093, mongo_port=17117, brokers=3
    ),
}


def log(message: str) -> None:
    print(f"[local] {message}", file=sys.stderr, flush=True)


def require(tool: str, how: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise SetupError(f"'{tool}' is not installed; {how}")
    return path


# --- fetching and building -------------------------------------------------------------


def ensure_kafka() -> None:
    """Fetch the pinned Kafka broker jars and slf4j-simple from Maven Central, once."""
    require("java", "install Java 17, e.g. `apt-get install openjdk-17-jre-headless`")
    marker = KAFKA_LIBS / ".complete"
    if marker.exists():
        return
    mvn = require("mvn", "install Maven, e.g. `apt-get install maven`")
    log(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central (once)...")
    subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(HERE / "kafka" / "pom.xml"),
            f"-Dmaven.repo.local={CACHE / 'm2'}",
            f"-Dkafka.version={KAFKA_VERSION}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={KAFKA_LIBS}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    marker.touch()


def ensure_ferretdb() -> None:
    """Build our embedding of FerretDB 1.24 with the Go toolchain, when its source changed."""
    source = HERE / "ferretdb"
    newest_source = max(p.stat().st_mtime for p in source.iterdir())
    if FERRETDB_BIN.exists() and FERRETDB_BIN.stat().st_mtime >= newest_source:
        return
    go = require("go", "install Go 1.22 or newer (https://go.dev/doc/install, or Debian's golang)")
    log("building FerretDB 1.24 (embedded, SQLite backend) with Go (once, about a minute)...")
    env = os.environ | {
        "GOMODCACHE": str(CACHE / "go" / "mod"),
        "GOCACHE": str(CACHE / "go" / "build"),
        "GOFLAGS": "-modcacherw",
        "CGO_ENABLED": "0",
    }
    # Build from a copy with vendored modules: the one patched file must not be in the
    # shared module cache, and `go build -overlay` refuses files there.
    work = CACHE / "go" / "ferretdb-src"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    subprocess.run([go, "mod", "vendor"], cwd=work, env=env, check=True)
    patch_ferretdb(work / "vendor" / "github.com" / "FerretDB" / "FerretDB")
    subprocess.run(
        [go, "build", "-mod=vendor", "-o", str(FERRETDB_BIN), "."], cwd=work, env=env, check=True
    )


# FerretDB 1.24 creates the unique `_id` index of each SQLite table on the expression
# `_ferretdb_sjson->"_id"` but queries by `_ferretdb_sjson->'$._id'`: SQLite matches index
# expressions textually, so every lookup and update by `_id` scans the whole table
# (docs/decisions/0004). The build swaps one constant for the indexed expression.
ID_COLUMN_FROM = "IDColumn = DefaultColumn + \"->'$._id'\""
ID_COLUMN_TO = """IDColumn = DefaultColumn + `->"_id"`"""


def patch_ferretdb(module_dir: Path) -> None:
    """Make FerretDB's `_id` lookups use its `_id` index."""
    path = module_dir / "internal" / "backends" / "sqlite" / "metadata" / "metadata.go"
    text = path.read_text()
    if ID_COLUMN_FROM not in text:
        raise SetupError(f"{path}: the line to patch is gone; review docs/decisions/0004")
    path.write_text(text.replace(ID_COLUMN_FROM, ID_COLUMN_TO))


# --- processes -------------------------------------------------------------------------


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def require_free(port: int, wait_s: float = 15.0) -> None:
    """Fail unless `port` is free; a server of ours that is still shutting down gets time."""
    deadline = time.monotonic() + wait_s
    while port_open(port):
        if time.monotonic() > deadline:
            raise SetupError(f"port {port} is taken by another program; stop it first")
        time.sleep(0.5)


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid


def spawn(argv: list[str], name: str, profile: Profile) -> None:
    logfile = profile.state_dir / f"{name}.log"
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (profile.state_dir / f"{name}.pid").write_text(str(proc.pid))


def kafka_properties(profile: Profile, node: int = 1) -> Path:
    name = profile.node_name(node)
    data = profile.state_dir / f"{name}-data"
    props = profile.state_dir / ("server.properties" if node == 1 else f"server-{node}.properties")
    port, controller = profile.broker_port(node), profile.controller_port_of(node)
    voters = ",".join(f"{n}@127.0.0.1:{profile.controller_port_of(n)}" for n in profile.nodes)
    replication, insync = profile.replication, profile.min_insync
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                f"node.id={node}",
                f"controller.quorum.voters={voters}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={data}",
                "num.partitions=1",
                "auto.create.topics.enable=false",
                f"default.replication.factor={replication}",
                f"min.insync.replicas={insync}",
                f"offsets.topic.replication.factor={replication}",
                "offsets.topic.num.partitions=6",
                f"transaction.state.log.replication.factor={replication}",
                f"transaction.state.log.min.isr={insync}",
                "transaction.state.log.num.partitions=6",
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=4",
                "log.flush.interval.messages=9223372036854775807",
                # a lost broker is fenced after 3 s (9 s by default): leaders move sooner
                "broker.session.timeout.ms=3000",
                "broker.heartbeat.interval.ms=500",
                "",
            ]
        )
    )
    return props


def cluster_id(profile: Profile) -> str:
    """One id for every broker of the profile, made once (storage is formatted with it)."""
    path = profile.state_dir / "cluster.id"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
    return path.read_text().strip()


def start_kafka(profile: Profile) -> None:
    for node in profile.nodes:
        start_broker(profile, node)


def start_broker(profile: Profile, node: int) -> None:
    name, port = profile.node_name(node), profile.broker_port(node)
    if read_pid(profile.state_dir / f"{name}.pid") and port_open(port):
        log(f"Kafka broker {node} already running on 127.0.0.1:{port}")
        return
    require_free(port)
    ensure_kafka()
    java = require("java", "install Java 17")
    props = kafka_properties(profile, node)
    classpath = f"{KAFKA_LIBS}/*"
    if not (profile.state_dir / f"{name}-data" / "meta.properties").exists():
        subprocess.run(
            [
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id(profile),
                "-c",
                str(props),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    where = f"127.0.0.1:{port}" + (f" (broker {node} of {profile.brokers})" if node > 1 else "")
    log(f"starting Apache Kafka {KAFKA_VERSION} (KRaft) on {where}")
    spawn(
        [
            java,
            KAFKA_HEAP,
            "-Xms128m",
            *KAFKA_JVM_OPTIONS,
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(props),
        ],
        name,
        profile,
    )


def start_ferretdb(profile: Profile) -> None:
    if read_pid(profile.state_dir / "ferretdb.pid") and port_open(profile.mongo_port):
        log(f"FerretDB already running on {profile.mongodb_url}")
        return
    require_free(profile.mongo_port)
    ensure_ferretdb()
    log(f"starting FerretDB 1.24 (SQLite) on {profile.mongodb_url}")
    spawn(
        [
            str(FERRETDB_BIN),
            "-listen",
            f"127.0.0.1:{profile.mongo_port}",
            "-data",
            str(profile.state_dir / "ferretdb-data"),
        ],
        "ferretdb",
        profile,
    )


def stop_process(profile: Profile, name: str) -> None:
    pidfile = profile.state_dir / f"{name}.pid"
    pid = read_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return
    log(f"stopping {name} (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.2)
    if alive(pid):
        log(f"{name} did not stop in 30 s: killing it")
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """Whether `pid` still runs; reaps it when it is our own child (tests start servers)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- readiness: the servers must really answer ------------------------------------------


async def kafka_round_trip(profile: Profile) -> None:
    """Create the core topics, then produce one record and fetch it back."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from kandoo.events.topics import TopicSpec, core_topics

    health = TopicSpec("kandoo.health", 1, 3_600_000)
    admin = AIOKafkaAdminClient(bootstrap_servers=profile.bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in [health, *core_topics()] if t.name not in existing]
        if wanted:
            insync = {"min.insync.replicas": str(profile.min_insync)}
            copies = profile.replication
            await admin.create_topics(
                [
                    NewTopic(t.name, t.partitions, copies, topic_configs=t.config() | insync)
                    for t in wanted
                ]
            )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=profile.bootstrap)
    await producer.start()
    try:
        meta = await producer.send_and_wait(health.name, b"ping")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=profile.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(health.name, 0)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        record = await asyncio.wait_for(consumer.getone(), 10)
        assert record.value == b"ping"
    finally:
        await consumer.stop()


def mongo_ping(profile: Profile) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]]
    with MongoClient(profile.mongodb_url, serverSelectionTimeoutMS=1000) as client:
        client.admin.command("ping")


def wait_until(
    what: str, check: Callable[[], None], profile: Profile, logname: str, port: int
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if read_pid(profile.state_dir / f"{logname}.pid") is None:
            break
        if not port_open(port):
            time.sleep(0.2)
            continue
        try:
            check()
            return
        except Exception as exc:
            last = exc
            time.sleep(0.5)
    tail = (profile.state_dir / f"{logname}.log").read_text(errors="replace")[-3000:]
    raise SetupError(f"{what} did not answer ({last!r}); last lines of its log:\n{tail}")


# --- commands --------------------------------------------------------------------------


def start(profile: Profile) -> None:
    profile.state_dir.mkdir(parents=True, exist_ok=True)
    start_ferretdb(profile)
    start_kafka(profile)
    wait_until("FerretDB", lambda: mongo_ping(profile), profile, "ferretdb", profile.mongo_port)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # "not yet" is expected here
    for node in profile.nodes[1:]:  # every broker listens: the round trip needs them all
        wait_until(
            f"Kafka broker {node}",
            lambda: None,
            profile,
            profile.node_name(node),
            profile.broker_port(node),
        )
    wait_until(
        "Kafka",
        lambda: asyncio.run(kafka_round_trip(profile)),
        profile,
        "kafka",
        profile.kafka_port,
    )
    log(
        f"ready: Kafka {profile.bootstrap} (Apache Kafka {KAFKA_VERSION}), "
        f"MongoDB protocol {profile.mongodb_url} (FerretDB 1.24 / SQLite); "
        f"logs in {profile.state_dir}"
    )


def stop(profile: Profile) -> None:
    for node in profile.nodes:
        stop_process(profile, profile.node_name(node))
    stop_process(profile, "ferretdb")


def status(profile: Profile) -> int:
    down = 0
    servers = [(profile.node_name(n), profile.broker_port(n)) for n in profile.nodes]
    for name, port in [*servers, ("ferretdb", profile.mongo_port)]:
        pid = read_pid(profile.state_dir / f"{name}.pid")
        state = "running" if pid and port_open(port) else "stopped"
        down += state != "running"
        print(f"{name:9} {state:8} port {port}  pid {pid or '-'}")
    return 1 if down else 0


def resolved(name: str, brokers: int | None = None) -> Profile:
    """A profile with its number of brokers: as asked, else as its last `start` made it
    (its data is formatted for them), else its own."""
    profile = PROFILES[name]
    remembered = profile.state_dir / "brokers"
    known = remembered.read_text().strip() if remembered.exists() else ""
    if brokers or known:
        profile = replace(profile, brokers=brokers or int(known))
    return profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status", "ensure", "reset"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="dev")
    parser.add_argument(
        "--brokers",
        type=int,
        help="Kafka brokers (a KRaft cluster when more than one; replication 3, "
        "min.insync.replicas 2 from three on); the profile's own number by default",
    )
    args = parser.parse_args(argv)
    profile = resolved(args.profile, args.brokers)
    if args.command == "start":
        profile.state_dir.mkdir(parents=True, exist_ok=True)
        (profile.state_dir / "brokers").write_text(str(profile.brokers))
    try:
        if args.command == "ensure":
            ensure_kafka()
            ensure_ferretdb()
        elif args.command == "start":
            start(profile)
        elif args.command == "stop":
            stop(profile)
        elif args.command == "reset":
            stop(profile)
            shutil.rmtree(profile.state_dir, ignore_errors=True)
        else:
            return status(profile)
    except SetupError as exc:
        log(f"error: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        log(f"error: {' '.join(map(str, exc.cmd))} failed with exit code {exc.returncode}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
