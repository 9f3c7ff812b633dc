"""Intake's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from kandoo.runtime.observe import service_registry


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or service_registry()
        r = self.registry
        self.requests = Counter(
            "kandoo_intake_requests", "HTTP requests", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "kandoo_intake_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.commands = Counter(
            "kandoo_intake_commands_published", "Commands published", ["type"], registry=r
        )
        self.waits = Counter(
            "kandoo_intake_waits", "Waits for routing's answer", ["outcome"], registry=r
        )
        self.line_events = Counter(
            "kandoo_intake_line_events",
            "LINE webhook events worked, by type and outcome",
            ["type", "outcome"],
            registry=r,
        )
        self.line_webhook = Histogram(
            "kandoo_intake_line_webhook_seconds",
            "From LINE's POST to its answer (the events made durable)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2),
            registry=r,
        )
