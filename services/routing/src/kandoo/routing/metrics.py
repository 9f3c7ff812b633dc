"""Routing's Prometheus metrics, on /metrics of the health port."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kandoo.runtime.observe import service_registry


class RoutingMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or service_registry()
        r = self.registry
        self.commands = Counter(
            "kandoo_routing_commands", "Commands handled", ["type", "outcome"], registry=r
        )
        self.events = Counter(
            "kandoo_routing_events_written", "Events written", ["type"], registry=r
        )
        self.transaction_seconds = Histogram(
            "kandoo_routing_transaction_seconds",
            "Duration of one Kafka transaction",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.rebuild_seconds = Histogram(
            "kandoo_routing_state_rebuild_seconds",
            "Rebuilding a partition's state from the log",
            buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300),
            registry=r,
        )
        self.lag = Gauge(
            "kandoo_routing_consumer_lag", "Commands not yet handled", ["partition"], registry=r
        )
        self.confidence = Histogram(
            "kandoo_routing_classifier_confidence",
            "Confidence of classifications",
            buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
            registry=r,
        )
        self.breaches = Counter(
            "kandoo_routing_sla_breaches", "SLA breaches", ["department", "stage"], registry=r
        )
        self.escalations = Counter(
            "kandoo_routing_escalations", "Escalations", ["department", "level"], registry=r
        )
        self._event_children: dict[str, Any] = {}
        self.open_complaints = Gauge(
            "kandoo_routing_open_complaints_indexed",
            "Open complaints in the duplicate index",
            registry=r,
        )

    def event_written(self, event_type: str) -> None:
        """Count one written event (labelled children cached: this runs for every event)."""
        child = self._event_children.get(event_type)
        if child is None:
            child = self._event_children[event_type] = self.events.labels(event_type)
        child.inc()
