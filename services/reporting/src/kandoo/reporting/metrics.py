"""Reporting's Prometheus metrics, on /metrics of the API port."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kandoo.runtime.kafka_io import consumer_lag_metric
from kandoo.runtime.observe import service_registry
from kandoo.runtime.poison import dead_letters_metric


class ReportingMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or service_registry()
        r = self.registry
        self.dead_letters = dead_letters_metric(r)
        self.consumer_lag = consumer_lag_metric(r)
        self.without_admin = Gauge(
            "kandoo_departments_without_admin",
            "Departments of the municipality with no active admin (roster applied)",
            registry=r,
        )
        self.applied = Counter(
            "kandoo_reporting_events_applied", "Events and notices applied", ["type"], registry=r
        )
        self.lag = Histogram(
            "kandoo_reporting_projection_lag_seconds",
            "From an event's time to its being applied to the read models",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.batch = Histogram(
            "kandoo_reporting_batch_records",
            "Records per applied batch",
            buckets=(1, 5, 10, 50, 100, 500, 1000, 5000),
            registry=r,
        )
        self.write_seconds = Histogram(
            "kandoo_reporting_batch_seconds",
            "Applying and writing one batch",
            buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.gaps = Counter(
            "kandoo_reporting_sequence_gaps",
            "Complaints stopped because a sequence number was missing (a defect)",
            registry=r,
        )
        self.rebuild_rate = Gauge(
            "kandoo_reporting_rebuild_events_per_second",
            "Events per second of the last rebuild",
            registry=r,
        )
        self.generation = Gauge(
            "kandoo_reporting_generation", "Generation of read models being served", registry=r
        )
