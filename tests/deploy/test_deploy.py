"""The deployment files agree with the code: settings names, ports, service names, metrics.

Structural checks only (no Docker engine, no network); docs/deploy.md says what else was
validated and how.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel

from service.metrics import Metrics
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
LTRR_SERVICES = ("init", "api", "worker")
NON_SETTINGS_ENV = {"DEMO_SIZE", "DEMO_SEED"}  # read by deploy/init-demo.sh
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
}

# Metrics the dashboard may name before the service registers them (family name: type,
# labels), e.g. while a feature that exports them is being built. Every entry must leave
# this table when its metric is registered: the test fails while a listed family exists.
PENDING_BANDIT_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {}

INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def _load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def _interpolate(value: object) -> str:
    """Compose's ``${NAME:-default}`` with nothing set in the environment: the default."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_yaml(REPO / "docker-compose.yml")


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {key: _interpolate(value) for key, value in service.get("environment", {}).items()}


def _settings_path(name: str) -> list[str]:
    """``LTRR_FEEDBACK__BATCH_SIZE`` -> ``["feedback", "batch_size"]``, checked against Settings."""
    assert name.startswith("LTRR_"), name
    path = name.removeprefix("LTRR_").lower().split("__")
    model: type[BaseModel] | None = Settings
    for part in path:
        assert model is not None, f"{name}: {part!r} is below a plain setting"
        assert part in model.model_fields, f"{name}: {part!r} is not a setting of {model}"
        annotation = model.model_fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return path


def _dockerfile_cmd() -> list[str]:
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            cmd = json.loads(line.removeprefix("CMD "))
            assert isinstance(cmd, list)
            return [str(part) for part in cmd]
    raise AssertionError("Dockerfile has no CMD")


def _api_port(services: dict[str, dict[str, Any]]) -> int:
    cmd = _dockerfile_cmd()
    port = int(cmd[cmd.index("--port") + 1])
    assert [int(p) for p in services["api"]["expose"]] == [port]
    return port


def test_ltrr_services_build_the_image_and_share_the_data_volume(
    services: dict[str, dict[str, Any]],
) -> None:
    ltrr = {name for name, service in services.items() if "build" in service}
    assert ltrr == set(LTRR_SERVICES)
    for name in LTRR_SERVICES:
        assert "ltrr-data:/data" in services[name]["volumes"], name
    assert services["worker"]["command"] == [
        "ltrr",
        "worker",
        "--data-dir",
        "/data",
        "--metrics-port",
        "9100",
    ]
    assert services["init"]["command"] == ["sh", "/app/init-demo.sh", "/data"]
    assert _dockerfile_cmd()[:4] == ["ltrr", "serve", "--data-dir", "/data"]
    assert "command" not in services["api"]  # the image's CMD


@pytest.mark.parametrize("name", LTRR_SERVICES)
def test_environment_names_are_settings_and_take_effect(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(services[name])
    ltrr_names = {key for key in env if key.startswith("LTRR_")}
    assert set(env) - ltrr_names <= NON_SETTINGS_ENV
    for key in ltrr_names:
        monkeypatch.setenv(key, env[key])
    settings = Settings()
    for key in ltrr_names:
        value: Any = settings
        for part in _settings_path(key):
            value = getattr(value, part)
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        assert shown == env[key], key
    assert settings.redis_url == "redis://redis:6379/0"


def test_replicas_and_worker_share_redis_and_secret(services: dict[str, dict[str, Any]]) -> None:
    envs = [_env(services[name]) for name in LTRR_SERVICES]
    for key in ("LTRR_REDIS_URL", "LTRR_SIGNING_SECRET", "LTRR_MODE"):
        assert len({env[key] for env in envs}) == 1, key
    host_port = envs[0]["LTRR_REDIS_URL"].removeprefix("redis://").split("/")[0]
    assert host_port == "redis:6379"
    assert "redis" in services
    assert services["redis"]["command"] == ["redis-server", "--appendonly", "yes"]
    # Feedback is applied by the worker service only.
    assert _env(services["api"])["LTRR_FEEDBACK__IN_PROCESS_WORKER"] == "false"
    assert services["api"]["deploy"]["replicas"] >= 2


def test_dependencies_wait_for_health_and_init(services: dict[str, dict[str, Any]]) -> None:
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "redis": {"condition": "service_healthy"},
            "init": {"condition": "service_completed_successfully"},
        }
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                check = services[target].get("healthcheck", {})
                assert check.get("test"), f"{name} waits for {target}, which has no check"
                assert not check.get("disable"), f"{name} waits for {target}, check disabled"
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "/healthz" in (REPO / "Dockerfile").read_text().split("HEALTHCHECK", 1)[1]


def test_mounted_deploy_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), source


def test_prometheus_scrapes_every_api_replica(services: dict[str, dict[str, Any]]) -> None:
    config = _load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["ltrr-api"]
    assert api["metrics_path"] == "/metrics"
    [dns] = api["dns_sd_configs"]
    assert dns["names"] == ["api"]
    assert dns["port"] == _api_port(services)
    for job in jobs.values():
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host = target.split(":")[0]
                assert host == "localhost" or host in services, target
    # The worker serves the metrics of feedback application and bandit learning.
    worker = jobs["ltrr-worker"]
    assert worker["static_configs"] == [{"targets": ["worker:9100"]}]
    assert services["worker"]["command"][-2:] == ["--metrics-port", "9100"]
    mounts = services["prometheus"]["volumes"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts


def test_load_balancer_targets_the_api_port(services: dict[str, dict[str, Any]]) -> None:
    conf = (DEPLOY / "nginx" / "default.conf").read_text()
    assert re.findall(r"^\s*server\s+(\S+);", conf, re.MULTILINE) == [f"api:{_api_port(services)}"]
    assert re.search(r"^\s*listen\s+8000;", conf, re.MULTILINE)
    assert services["lb"]["ports"] == ["127.0.0.1:8000:8000"]


def test_grafana_provisioning_matches_the_mounts(services: dict[str, dict[str, Any]]) -> None:
    mounts = {v.split(":")[0]: v.split(":")[1] for v in services["grafana"]["volumes"]}
    provider = _load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "ltrr.yml")
    [dashboards] = provider["providers"]
    assert mounts["./deploy/grafana/dashboards"] == dashboards["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    sources = _load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    [prometheus] = sources["datasources"]
    assert prometheus["url"] == "http://prometheus:9090"
    assert "prometheus" in services
    uids = {
        target["datasource"]["uid"]
        for panel in _dashboard_panels()
        for target in panel.get("targets", [])
    }
    assert uids == {prometheus["uid"]}


# --- the dashboard's PromQL against the metrics registry ---------------------------------


def _dashboard_panels() -> list[dict[str, Any]]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "ltrr.json").read_text())
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows nest their panels
    return panels


def _expressions() -> list[str]:
    return [
        target["expr"]
        for panel in _dashboard_panels()
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def _registered() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Family name -> (type, label names) of everything the service registers."""
    metrics = Metrics()
    families = {family.name: family.type for family in metrics.registry.collect()}
    labels = {
        # prometheus_client keeps label names on the collector only (no public accessor).
        next(iter(collector.describe())).name: tuple(getattr(collector, "_labelnames", ()))
        for collector in vars(metrics).values()
        if isinstance(collector, MetricWrapperBase)
    }
    return {name: (kind, labels[name]) for name, kind in families.items()}


def _samples(families: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, tuple[str, str]]:
    """Exposed sample name -> (family, type)."""
    return {
        family + suffix: (family, kind)
        for family, (kind, _) in families.items()
        for suffix in SAMPLE_SUFFIXES[kind]
    }


METRIC = re.compile(r"\b(ltrr_[a-z0-9_]+)")


def test_dashboard_names_only_registered_metrics() -> None:
    registered = _registered()
    assert registered, "no metric families registered"
    landed = sorted(set(PENDING_BANDIT_METRICS) & set(registered))
    assert not landed, f"registered now, remove from PENDING_BANDIT_METRICS: {landed}"
    known = _samples(registered)
    pending = _samples(PENDING_BANDIT_METRICS)
    used = {name for expr in _expressions() for name in METRIC.findall(expr)}
    unknown = sorted(used - set(known) - set(pending))
    assert not unknown, f"dashboard names metrics the service does not export: {unknown}"
    # Every family the service exports has at least one panel.
    families = {known[name][0] for name in used if name in known}
    assert families == set(registered)
    assert {pending[name][0] for name in used if name in pending} == set(PENDING_BANDIT_METRICS)


def test_promql_fits_the_metric_types_and_labels() -> None:
    families = {**_registered(), **PENDING_BANDIT_METRICS}
    samples = _samples(families)
    for expr in _expressions():
        for name in re.findall(r"\b(?:rate|increase)\(\s*(ltrr_[a-z0-9_]+)", expr):
            assert name in samples, expr
            assert samples[name][1] in {"counter", "histogram"}, expr
        if "histogram_quantile(" in expr:
            names = METRIC.findall(expr)
            assert names, expr
            assert all(name.endswith("_bucket") for name in names), expr
            assert re.search(r"by \(le\b", expr), expr
        used = [samples[name][0] for name in METRIC.findall(expr) if name in samples]
        allowed = {"instance", "job"} | {label for f in used for label in families[f][1]}
        if any(name.endswith("_bucket") for name in METRIC.findall(expr)):
            allowed.add("le")
        grouped = {
            label.strip()
            for clause in re.findall(r"\bby \(([^)]*)\)", expr)
            for label in clause.split(",")
        }
        matched = set(re.findall(r"[{,]\s*([a-z_]+)\s*(?:=~|!=|!~|=)", expr))
        assert grouped | matched <= allowed, (expr, sorted((grouped | matched) - allowed))
