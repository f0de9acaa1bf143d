"""The PromQL the operations artefacts use, collected from the files themselves (so the tests
stay complete as rules and panels are added), and the metric names those expressions refer to."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from shared.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
SERVICES = ("quiz", "initiatives", "engagement", "ranking")

# Grafana's built-in variables, replaced by what Grafana would send for a short time range.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__range": "5m", "$__interval": "15s"}

# Business metrics each service registers on its own registry (issue 7); not in shared/metrics.py.
BUSINESS_METRICS = {
    "quiz_attempts_started_total", "quiz_attempts_submitted_total", "quiz_active_participants",
    "engagement_events_total", "initiatives_scores_submitted_total",
    "ranking_event_freshness_seconds_bucket", "ranking_event_freshness_seconds_count",
    "ranking_event_freshness_seconds_sum",
}
PROMETHEUS_BUILTIN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}


def rules() -> Iterator[tuple[str, dict]]:
    """(file name, rule) for every recording and alerting rule."""
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                yield path.name, rule


def panels(doc: dict) -> Iterator[dict]:
    for panel in doc.get("panels", []):
        yield panel
        yield from panels(panel)  # rows nest their panels


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    for path in DASHBOARDS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for panel in panels(doc):
            for target in panel.get("targets", []):
                if target.get("expr"):
                    yield f"{path.name}: {panel['title']}", target["expr"]


def grafana_to_promql(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def all_exprs() -> list[tuple[str, str]]:
    """(where, PromQL) for every expression in the rule files and dashboards, ready to query."""
    out = [(f"{name}: {rule.get('alert') or rule.get('record')}", rule["expr"]) for name, rule in rules()]
    out += [(where, grafana_to_promql(expr)) for where, expr in dashboard_exprs()]
    return out


def recorded_names() -> set[str]:
    return {rule["record"] for _, rule in rules() if "record" in rule}


def known_metric_names() -> set[str]:
    """Every series name the services expose (shared metrics per service, faststream's, business)."""
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware

    names: set[str] = set()
    registries = []
    for service in SERVICES:
        registries.append(ServiceMetrics(service).registry)
    faststream = CollectorRegistry()
    KafkaPrometheusMiddleware(registry=faststream, app_name="x")
    registries.append(faststream)
    for registry in registries:
        for family in registry.collect():
            if family.type == "counter":
                names |= {family.name + "_total", family.name + "_created"}
            elif family.type == "histogram":
                names |= {family.name + s for s in ("_bucket", "_count", "_sum", "_created")}
            else:
                names.add(family.name)
    return names | BUSINESS_METRICS | PROMETHEUS_BUILTIN | recorded_names()


_FUNCS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    "group", "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "histogram_quantile",
    "absent", "absent_over_time", "abs", "ceil", "floor", "round", "clamp", "clamp_min", "clamp_max",
    "label_replace", "label_join", "vector", "scalar", "time", "timestamp", "changes", "resets", "sort",
    "sort_desc", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "last_over_time", "quantile_over_time", "present_over_time", "exp", "ln", "log2", "log10", "sqrt",
}
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
             "offset", "bool", "inf", "nan"}
_NAME_RE = re.compile(r'__name__\s*=~?\s*"([^"]*)"')


def metric_names(expr: str) -> set[str]:
    """The series names an expression selects (a __name__ regex of services is expanded)."""
    names: set[str] = set()
    for pattern in _NAME_RE.findall(expr):
        pattern = pattern.replace("\\\\", "\\")
        candidates = {f"{s}_{suffix}" for s in SERVICES for suffix in _suffixes(pattern)} or {pattern}
        names |= {c for c in candidates if re.fullmatch(pattern, c)}
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+|[smhdwy])?", " ", text)  # numbers, durations
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        token, rest = match.group(0), text[match.end():].lstrip()
        if token.lower() in _KEYWORDS or (token in _FUNCS and rest.startswith("(")):
            continue
        names.add(token)
    return names


def _suffixes(pattern: str) -> set[str]:
    m = re.fullmatch(r"\((?:[a-z]+\|)+[a-z]+\)_(.+)", pattern)
    return {m.group(1)} if m else set()
