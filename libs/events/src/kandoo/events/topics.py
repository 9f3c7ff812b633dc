"""Topic names and their retention, as in the design of record.

`complaints.commands` and `complaints.events` must have the same partition count so a
complaint's commands and events live in partitions with the same number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMMANDS = "complaints.commands"
EVENTS = "complaints.events"
COMMAND_RESULTS = "complaints.command-results"
NOTIFICATIONS = "notifications.events"
DIRECTORY_EVENTS = "directory.events"
LINE_WEBHOOK = "line.webhook-events"
"""Each LINE webhook event as it came, made durable before LINE is answered (7 days)."""
"""The roster: who administers which department, as appointed and removed (kept forever)."""
ROUTED_PREFIX = "complaints.routed."
DLQ_SUFFIX = ".dlq"

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
FOREVER = -1
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: its name, partitions and retention (milliseconds, -1 = forever)."""

    name: str
    partitions: int
    retention_ms: int
    extra_config: dict[str, str] = field(default_factory=dict)

    def config(self) -> dict[str, str]:
        """The topic-level Kafka configuration for this spec."""
        config = {"retention.ms": str(self.retention_ms), "cleanup.policy": "delete"}
        if self.retention_ms == FOREVER:
            config["retention.bytes"] = "-1"
        return config | self.extra_config


@dataclass(frozen=True)
class Topics:
    """The platform's topic names, under an optional prefix (tests use one each)."""

    prefix: str = ""

    @property
    def commands(self) -> str:
        return self.prefix + COMMANDS

    @property
    def events(self) -> str:
        return self.prefix + EVENTS

    @property
    def command_results(self) -> str:
        return self.prefix + COMMAND_RESULTS

    @property
    def notifications(self) -> str:
        return self.prefix + NOTIFICATIONS

    @property
    def line_webhook(self) -> str:
        return self.prefix + LINE_WEBHOOK

    @property
    def directory_events(self) -> str:
        return self.prefix + DIRECTORY_EVENTS

    def routed(self, department: str) -> str:
        return self.prefix + routed_topic(department)

    def dlq(self, source: str) -> str:
        return dlq_topic(source)

    def specs(
        self, departments: list[str], partitions: int = DEFAULT_PARTITIONS
    ) -> list[TopicSpec]:
        """Every topic to create under this prefix, department feeds included."""
        return [
            TopicSpec(self.prefix + s.name, s.partitions, s.retention_ms, s.extra_config)
            for s in [*core_topics(partitions), *department_topics(departments, partitions)]
        ]


def routed_topic(department: str) -> str:
    """The feed topic of one department: `complaints.routed.<department>`."""
    return f"{ROUTED_PREFIX}{department}"


def dlq_topic(source: str) -> str:
    """The dead-letter topic of a source topic: `<topic>.dlq`."""
    return f"{source}{DLQ_SUFFIX}"


def core_topics(partitions: int = DEFAULT_PARTITIONS) -> list[TopicSpec]:
    """Every topic the platform needs, but the per-department feeds."""
    specs = [
        TopicSpec(COMMANDS, partitions, 7 * DAY_MS),
        TopicSpec(EVENTS, partitions, FOREVER),
        TopicSpec(COMMAND_RESULTS, partitions, HOUR_MS),
        TopicSpec(NOTIFICATIONS, partitions, FOREVER),
        TopicSpec(DIRECTORY_EVENTS, 1, FOREVER),
        TopicSpec(LINE_WEBHOOK, partitions, 7 * DAY_MS),
    ]
    specs += [TopicSpec(dlq_topic(s.name), 1, 30 * DAY_MS) for s in list(specs)]
    return specs


def department_topics(
    departments: list[str], partitions: int = DEFAULT_PARTITIONS
) -> list[TopicSpec]:
    """The feed topics of the given departments, kept 30 days."""
    return [TopicSpec(routed_topic(d), partitions, 30 * DAY_MS) for d in departments]
