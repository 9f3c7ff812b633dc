"""Notify's Prometheus metrics, on /metrics of its health port."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from kandoo.runtime.kafka_io import consumer_lag_metric
from kandoo.runtime.observe import service_registry
from kandoo.runtime.poison import dead_letters_metric


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or service_registry()
        r = self.registry
        self.consumer_lag = consumer_lag_metric(r)
        self.dead_letters = dead_letters_metric(r)
        self.deliveries = Counter(
            "kandoo_notify_deliveries",
            "Delivery attempts by channel and outcome (sent, failed, dead_lettered)",
            ["channel", "outcome"],
            registry=r,
        )
        self.retries = Counter(
            "kandoo_notify_retries", "Deliveries tried again", ["channel"], registry=r
        )
        self.skipped = Counter(
            "kandoo_notify_already_delivered",
            "Deliveries found already recorded (a redelivered event): nothing sent",
            registry=r,
        )
        self.poison = Counter(
            "kandoo_notify_poison_events", "Unreadable events sent to the dead letter", registry=r
        )
        self.latency = Histogram(
            "kandoo_notify_latency_seconds",
            "From an event's time to its message being sent",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
            registry=r,
        )
