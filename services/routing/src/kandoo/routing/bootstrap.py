"""Builds routing from its settings: directory, classifier, metrics, processor."""

from __future__ import annotations

from datetime import UTC, datetime

from kandoo.events.directory import load_directory
from kandoo.routing.adapters.processor import Clock, Processor
from kandoo.routing.domain.classifier import Classifier, KeywordBaselineClassifier, RuleFirst
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.health import HealthServer


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_classifier(directory_path: str) -> Classifier:
    """Directory rules first; then, until the trained model lands, the keyword baseline."""
    return RuleFirst(load_directory(directory_path), KeywordBaselineClassifier())


def build(
    settings: RoutingSettings,
    clock: Clock = utc_now,
    classifier: Classifier | None = None,
) -> tuple[Processor, HealthServer]:
    directory = load_directory(settings.directory)
    metrics = RoutingMetrics()
    processor = Processor(
        settings,
        directory,
        classifier or default_classifier(settings.directory),
        metrics,
        clock,
    )
    health = HealthServer(metrics.registry, lambda: processor.ready, settings.host, settings.port)
    return processor, health
