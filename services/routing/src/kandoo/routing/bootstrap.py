"""Builds routing from its settings: directory, classifier, metrics, processor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kandoo.events.directory import load_directory
from kandoo.routing.adapters.processor import Clock, Processor
from kandoo.routing.classify.learn import load_or_train
from kandoo.routing.domain.classifier import Classifier, KeywordBaselineClassifier, RuleFirst
from kandoo.routing.metrics import RoutingMetrics
from kandoo.routing.settings import RoutingSettings
from kandoo.runtime.health import HealthServer


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_classifier(settings: RoutingSettings) -> Classifier:
    """Directory rules first; then the trained model (or, if asked, the keyword baseline)."""
    directory = load_directory(settings.directory)
    if settings.classifier == "keyword-baseline":
        return RuleFirst(directory, KeywordBaselineClassifier())
    model = load_or_train(Path(settings.classify_data), Path(settings.model_dir))
    return RuleFirst(directory, model)


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
        classifier or default_classifier(settings),
        metrics,
        clock,
    )
    health = HealthServer(metrics.registry, lambda: processor.ready, settings.host, settings.port)
    return processor, health
