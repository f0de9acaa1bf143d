"""Prometheus config, rules and Grafana dashboards: valid, complete and consistent with the code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.ops.promql import (
    DASHBOARDS,
    DEPLOY,
    GRAFANA_VARS,
    ROOT,
    RULE_FILES,
    SERVICES,
    all_exprs,
    dashboard_exprs,
    known_metric_names,
    metric_names,
    panels,
    rules,
)
from tools.nginx import DEFAULT_PORTS

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")
RUNBOOK = ROOT / "docs" / "runbook.md"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


@needs_promtool
def test_promtool_check_config():
    result = _promtool("check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout


@needs_promtool
def test_promtool_check_rules():
    assert RULE_FILES, "no rule files"
    result = _promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_unit_tests_pass():
    """promtool evaluates the alerts on synthetic series (deploy/prometheus/tests)."""
    tests = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
    assert tests
    result = _promtool("test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr


def _anchors(markdown: str) -> set[str]:
    """GitHub-style heading anchors."""
    out = set()
    for line in markdown.splitlines():
        if m := re.match(r"#{1,6}\s+(.*)", line):
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def test_every_alert_links_an_existing_runbook_section():
    anchors = _anchors(RUNBOOK.read_text(encoding="utf-8"))
    alerts = [rule for _, rule in rules() if "alert" in rule]
    wanted = {"ServiceDown", "HighHttpErrorRate", "HighHttpLatencyP99", "ConsumerLagGrowing",
              "OutboxBacklogOld",
              "DeadLetterQueueNotEmpty", "FreshnessSLOFastBurn", "FreshnessSLOSlowBurn"}
    assert wanted <= {a["alert"] for a in alerts}
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert path == "docs/runbook.md", alert["alert"]
        assert anchor in anchors, f"{alert['alert']}: runbook has no section #{anchor}"
        assert alert["annotations"].get("summary"), alert["alert"]
        assert alert["labels"]["severity"] in {"page", "warning"}, alert["alert"]


def test_expressions_only_use_metrics_the_services_expose():
    known = known_metric_names()
    unknown = {where: sorted(metric_names(expr) - known) for where, expr in all_exprs()}
    assert not {w: n for w, n in unknown.items() if n}, "typo or renamed metric"


def test_dashboards_are_provisionable():
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text())
    uid = datasource["datasources"][0]["uid"]
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/contest.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    uids = set()
    titles = []
    for path in DASHBOARDS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["uid"] not in uids
        uids.add(doc["uid"])
        titles.append(doc["title"])
        ids = [p["id"] for p in panels(doc)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels(doc):
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == uid, f"{path.name}: {panel['title']}"
            assert panel["targets"] and all(t.get("expr") for t in panel["targets"]), panel["title"]
    # quiz-day overview, Kafka pipeline, one per service
    assert {"contest-overview", "contest-kafka-pipeline"} | {f"contest-{s}" for s in SERVICES} <= uids


def test_dashboard_variables_are_all_substituted():
    for where, expr in dashboard_exprs():
        rest = expr
        for var in GRAFANA_VARS:
            rest = rest.replace(var, "")
        assert "$" not in rest, f"{where}: unknown Grafana variable in {expr}"


def test_scrape_config_covers_every_service():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service in SERVICES:
        sd = jobs[service]["dns_sd_configs"][0]
        assert sd["names"] == [service] and sd["port"] == DEFAULT_PORTS[service]
