"""What operators get: alert rules Prometheus accepts, a dashboard whose every query names
a metric the services really expose, the process metrics, and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import generate_latest

from kandoo.intake.metrics import IntakeMetrics
from kandoo.notify.metrics import NotifyMetrics
from kandoo.reporting.metrics import ReportingMetrics
from kandoo.routing.metrics import RoutingMetrics
from kandoo.runtime.observe import JsonLines, correlation

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "kandoo.json"
NOT_OURS = {"up", "sum", "rate", "increase", "histogram_quantile", "max", "by", "le", "clamp_min"}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run `make tools` (Debian package prometheus)"
    return subprocess.run([tool, *args], capture_output=True, text=True, check=False)


def exposed() -> set[str]:
    """Every metric name the four services' registries expose (process metrics too)."""
    text = b"".join(
        generate_latest(m.registry)
        for m in (IntakeMetrics(), RoutingMetrics(), ReportingMetrics(), NotifyMetrics())
    ).decode()
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}


def metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b([a-z_]+)(?=\{|\[|\)|\s|$)", expr)) - NOT_OURS
    return {n for n in names if n.startswith(("kandoo_", "process_"))}


def base(name: str) -> str:
    return re.sub(r"_(total|bucket|sum|count)$", "", name)


def test_promtool_accepts_the_alert_rules_and_the_config() -> None:
    rules = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS" in rules.stdout
    config = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr


def test_promtool_refuses_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n- name: x\n  rules:\n  - alert: X\n    expr: sum(rate(\n")
    assert promtool("check", "rules", str(broken)).returncode != 0


def test_every_alert_and_panel_queries_metrics_the_services_expose() -> None:
    have = {base(n) for n in exposed()}
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {base(n) for e in exprs for n in metric_names(e)}
    assert used, "the expressions were read"
    assert used <= have, f"not exposed by any service: {sorted(used - have)}"
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for topic in ("submissions", "command outcomes", "lag", "dead letters", "sla", "admin",
                  "deliveries"):  # fmt: skip
        assert topic in titles, topic


def test_every_service_exposes_the_default_process_metrics() -> None:
    for metrics in (IntakeMetrics(), RoutingMetrics(), ReportingMetrics(), NotifyMetrics()):
        text = generate_latest(metrics.registry).decode()
        assert "process_resident_memory_bytes" in text
        assert "python_gc_collections_total" in text


def test_logs_are_json_lines_with_the_correlation_id() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines("intake"))
    log = logging.getLogger("kandoo.test.json")
    log.addHandler(handler)
    log.propagate = False
    token = correlation.set("req-42")
    try:
        log.warning("a complaint was refused: %s", "outside")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("failed")
    finally:
        correlation.reset(token)
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["correlation_id"] == "req-42"
    assert first["service"] == "intake"
    assert first["message"] == "a complaint was refused: outside"
    assert first["level"] == "warning"
    assert "RuntimeError: boom" in second["exception"]
