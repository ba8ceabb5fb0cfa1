"""Reading ``/metrics`` the way Prometheus does: the text format, parsed by prometheus-client's
own parser, as ``{(sample name, labels): value}``."""

import requests
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "token-pemantauan-uji"


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def families(text: str) -> dict[str, str]:
    """Family name -> type, for every family in the scrape."""
    return {family.name: family.type for family in text_string_to_metric_families(text)}


def value(samples: dict, name: str, **labels) -> float:
    """One sample's value (0 when absent: a counter that has not moved yet)."""
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())), 0.0)


def total(samples: dict, name: str, **labels) -> float:
    """The sum over every sample of ``name`` whose labels include ``labels``."""
    wanted = {(k, str(v)) for k, v in labels.items()}
    return sum(v for (n, lab), v in samples.items() if n == name and wanted <= lab)


def scrape(base_url: str, token: str = TOKEN) -> dict:
    response = requests.get(
        base_url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def referenced_metric_names() -> set[str]:
    """Every ``prakerja_*`` series named by the shipped alert rules and dashboard."""
    import json
    import re
    from pathlib import Path

    ops = Path(__file__).resolve().parents[2] / "ops"
    rules = (ops / "prometheus" / "alerts.yml").read_text().splitlines()
    texts = [line for line in rules if not line.lstrip().startswith("#")]
    dashboard = json.loads((ops / "grafana" / "prakerja.json").read_text())
    texts += [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    return set(re.findall(r"\bprakerja_[a-z0-9_]+\b", "\n".join(texts)))
