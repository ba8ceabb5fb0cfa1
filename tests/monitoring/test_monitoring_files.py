"""The alert rules and the dashboard shipped in ops/: valid for Prometheus (promtool, the Debian
``prometheus`` package that .ci/run installs), each alert tested on series that should and
should not wake someone (alerts.test.yml), each with its runbook line in docs/operations.md.
That every series they name exists in a real scrape is checked in test_scrape_moves.py."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.monitoring.scrape import referenced_metric_names

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "ops" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "prakerja.json"
RUNBOOK = ROOT / "docs" / "operations.md"

promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="needs promtool (apt-get install prometheus; .ci/run installs it)",
)


def _promtool(*args: str, cwd: Path = PROMETHEUS) -> str:
    result = subprocess.run(
        ["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _alerts() -> list[str]:
    return re.findall(r"^\s*- alert: (\w+)$", RULES.read_text(), flags=re.MULTILINE)


@promtool
def test_promtool_accepts_the_rules():
    assert f"SUCCESS: {len(_alerts())} rules found" in _promtool("check", "rules", str(RULES))


@promtool
def test_each_alert_fires_and_stays_quiet_as_alerts_test_yml_says():
    assert "SUCCESS" in _promtool("test", "rules", "alerts.test.yml")
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "alerts.test.yml").read_text()))
    assert tested == set(_alerts())


@promtool
def test_promtool_accepts_the_example_scrape_configuration(tmp_path):
    token = tmp_path / "token"
    token.write_text("rahasia\n")
    config = (PROMETHEUS / "prometheus.yml").read_text()
    config = config.replace("/etc/prometheus/prakerja-metrics-token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(RULES, tmp_path / "alerts.yml")
    _promtool("check", "config", "prometheus.yml", cwd=tmp_path)


def test_every_alert_has_a_one_line_indonesian_runbook():
    text = RUNBOOK.read_text()
    for alert in _alerts():
        section = re.search(rf"^### {alert}\n\n(.+)\n", text, flags=re.MULTILINE)
        assert section, f"no runbook for {alert}"
        line = section.group(1)
        assert len(line) > 40 and not line.startswith("#"), alert
        assert f"docs/operations.md#{alert.lower()}" in RULES.read_text()


def test_the_dashboard_is_grafana_json_whose_panels_all_query_prakerja_series():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "prakerja" and dashboard["timezone"] == "Asia/Jakarta"
    queries = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert queries and all("prakerja_" in q or q.startswith("up{") for q in queries)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert "prakerja_http_request_duration_seconds_bucket" in referenced_metric_names()
