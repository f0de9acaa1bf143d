"""deploy/compose.yaml and deploy/k8s: valid against their schemas and consistent with the code."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.auth import generate_keypair
from shared.events import all_topics
from tests.ops.promql import DEPLOY, ROOT, SERVICES
from tools.nginx import DEFAULT_PORTS, EXACT, PREFIXES

BIN = Path(sys.executable).parent
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
SECRETISH = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$|DATABASE_URL")


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} not installed (pip install the project's test extras)")
    return str(path)


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_matches_the_compose_spec():
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_kafka_is_a_three_broker_kraft_cluster():
    services = _compose()["services"]
    brokers = [s for name, s in services.items() if name.startswith("kafka-") and name != "kafka-init"]
    assert len(brokers) == 3
    for broker in brokers:
        env = broker["environment"]
        assert broker["image"].startswith("apache/kafka:")
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_compose_init_job_creates_every_topic_with_its_partitions():
    init = _compose()["services"]["kafka-init"]
    specs = dict(line.rsplit(":", 1) for line in init["environment"]["TOPICS"].split())
    assert {t: int(n) for t, n in specs.items()} == all_topics()
    assert "--replication-factor 3" in init["command"][0]
    assert "min.insync.replicas=2" in init["command"][0]


def test_compose_runs_the_services_from_the_root_dockerfile():
    services = _compose()["services"]
    assert (ROOT / "Dockerfile").exists()
    for name in SERVICES:
        svc = services[name]
        assert svc["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert svc["command"] == ["python", "-m", f"services.{name}"]
        assert svc["environment"]["PORT"] == str(DEFAULT_PORTS[name])
        assert svc["environment"]["ENVIRONMENT"] == "prod"
        assert svc["environment"]["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
        assert ("PARTICIPANT_PRIVATE_KEY" in svc["environment"]) == (name == "quiz")
        assert "ports" not in svc, "services are reached through nginx only"
    assert services["quiz"]["deploy"]["replicas"] == 2


def test_compose_takes_secrets_from_the_environment_only():
    doc = _compose()

    def walk(node, path=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{path}[{i}]")
        else:
            yield path, node

    for path, value in walk(doc):
        key = path.rsplit(".", 1)[-1]
        if SECRETISH.search(key) and isinstance(value, str):
            ok = "${" in value and ":?" in value or value.startswith("/run/secrets/")
            assert ok, f"{path} must come from the environment, got {value!r}"
    for secret in doc["secrets"].values():
        assert set(secret) == {"environment"}


def test_compose_mounts_existing_files():
    for name, svc in _compose()["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source}"


def _k8s_docs(folder: Path) -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(folder.rglob("*.yaml")):
        out += [(path, d) for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return out


def test_k8s_builtin_kinds_validate_strictly():
    files = sorted(p for p in K8S.glob("*.yaml"))  # custom-resources/ holds the operator CRs
    assert files
    for path, doc in _k8s_docs(K8S):
        if path.parent == K8S:
            assert "." not in doc["apiVersion"].split("/")[0] or doc["apiVersion"].split("/")[0].endswith(
                ".k8s.io"), f"{path.name}: custom resource {doc['kind']} belongs in custom-resources/"
    result = subprocess.run(
        [_tool("kubernetes-validate"), "--strict", "--quiet", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_k8s_has_the_workloads_and_no_committed_secrets():
    docs = [d for _, d in _k8s_docs(K8S)]
    kinds: dict[str, set[str]] = {}
    for d in docs:
        kinds.setdefault(d["kind"], set()).add(d["metadata"]["name"])
    assert "Secret" not in kinds
    assert set(SERVICES) <= kinds["Deployment"] and set(SERVICES) <= kinds["Service"]
    assert set(SERVICES) <= kinds["PodDisruptionBudget"]
    assert {"quiz", "initiatives", "engagement"} <= kinds["HorizontalPodAutoscaler"]
    assert "contest-file" in kinds["ConfigMap"]
    assert {"contest-kafka"} == kinds["Kafka"] and {"contest-db"} == kinds["Cluster"]
    for d in docs:
        if d["kind"] == "Deployment":
            (container,) = d["spec"]["template"]["spec"]["containers"]
            assert container["command"] == ["python", "-m", f"services.{d['metadata']['name']}"]
            assert container["ports"][0]["containerPort"] == DEFAULT_PORTS[d["metadata"]["name"]]
            env = {e["name"]: e for e in container["env"]}
            # the DB secret is the one CloudNativePG creates for the `contest-db` cluster
            assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "contest-db-app"


def test_k8s_kafka_topics_match_the_code():
    docs = [d for _, d in _k8s_docs(K8S / "custom-resources")]
    topics = {d["spec"]["topicName"]: d["spec"]["partitions"] for d in docs if d["kind"] == "KafkaTopic"}
    assert topics == all_topics()
    for d in docs:
        if d["kind"] == "KafkaTopic":
            assert d["spec"]["replicas"] == 3 and d["spec"]["config"]["min.insync.replicas"] == 2
        if d["kind"] == "KafkaNodePool":
            assert d["spec"]["replicas"] == 3 and set(d["spec"]["roles"]) == {"broker", "controller"}
        if d["kind"] == "Kafka":
            assert d["spec"]["kafka"]["config"]["min.insync.replicas"] == 2


def test_k8s_ingress_routes_like_nginx():
    ingresses = [d for _, d in _k8s_docs(K8S) if d["kind"] == "Ingress"]
    routed = {}
    for ing in ingresses:
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                routed[p["path"]] = p["backend"]["service"]["name"]
    for service, prefixes in PREFIXES.items():
        for prefix in prefixes:
            assert routed[prefix.rstrip("/")] == service, prefix
    for service, paths in EXACT.items():
        for p in paths:
            assert routed[p] == service
    assert routed["/api/boards/[^/]+/stream"] == "ranking"


_SETTINGS = {"quiz": "QuizSettings", "initiatives": "InitiativesSettings", "engagement": "EngagementSettings",
             "ranking": "RankingSettings"}


def _settings_class(service: str):
    try:
        module = importlib.import_module(f"services.{service}.settings")
    except ImportError as exc:
        pytest.skip(f"services.{service} not importable yet: {exc}")
    return getattr(module, _SETTINGS[service])


def _prod_settings(service: str, env: dict[str, str], tmp_path: Path, monkeypatch) -> object:
    """The service's own settings class, in prod, from exactly the environment a manifest gives it."""
    private, public = generate_keypair()
    (tmp_path / "private.pem").write_text(private)
    (tmp_path / "public.pem").write_text(public)
    cls = _settings_class(service)
    for field in [*cls.model_fields, "contest_admin_token"]:  # nothing leaks in from this machine
        monkeypatch.delenv(field.upper(), raising=False)
    for key, value in env.items():
        value = re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "s3cr3t-" + "x" * 40, value)  # required secrets
        value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)  # defaults
        value = value.replace("/run/secrets/participant_private_key", str(tmp_path / "private.pem"))
        value = value.replace("/run/secrets/participant_public_key", str(tmp_path / "public.pem"))
        value = value.replace("/etc/contest/keys/participant_private_key.pem", str(tmp_path / "private.pem"))
        value = value.replace("/etc/contest/keys/participant_public_key.pem", str(tmp_path / "public.pem"))
        monkeypatch.setenv(key, value)
    return cls()


@pytest.mark.parametrize("service", SERVICES)
def test_compose_environment_satisfies_the_prod_settings(service, tmp_path, monkeypatch):
    env = _compose()["services"][service]["environment"]
    settings = _prod_settings(service, env, tmp_path, monkeypatch)
    assert settings.environment == "prod" and settings.port == DEFAULT_PORTS[service]
    assert settings.kafka_enable_idempotence and settings.participant_public_key
    if service == "quiz":
        assert settings.participant_private_key and settings.trusted_proxies == ["172.28.0.10"]


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_environment_satisfies_the_prod_settings(service, tmp_path, monkeypatch):
    docs = [d for _, d in _k8s_docs(K8S)]
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "contest-env")
    deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == service)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = dict(config["data"])
    for item in container["env"]:
        env[item["name"]] = item.get("value", "${FROM_SECRET:?}")
    env["DATABASE_URL"] = "postgresql://app:pw@contest-db-rw:5432/app"
    settings = _prod_settings(service, env, tmp_path, monkeypatch)
    assert settings.environment == "prod" and settings.port == DEFAULT_PORTS[service]


def test_dockerfile_ships_every_package_and_the_pinned_dependencies():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = {line.split()[1] for line in text.splitlines() if line.startswith("COPY ")}
    assert {"pyproject.toml", "shared", "services", "tools", "contest"} <= copied
    assert "['project']['dependencies']" in text and "pip install -r" in text
    assert re.search(r"^USER \d+", text, re.M), "runs as a non-root user"
    assert re.search(r"^FROM python:3\.11", text, re.M), "the Python the project targets"


# --- Kafka settings: one source (shared/broker_config.py) for the tests' brokers and deploy/ -------

def _compose_env_name(key: str) -> str:
    return "KAFKA_" + key.upper().replace(".", "_")


def test_compose_brokers_run_the_tested_version_and_broker_settings():
    from shared.broker_config import PRODUCTION_BROKERS, broker_properties
    from tools.kafka import version

    services = _compose()["services"]
    expected = broker_properties(PRODUCTION_BROKERS)
    for name in ("kafka-1", "kafka-2", "kafka-3", "kafka-init"):
        assert services[name]["image"] == f"apache/kafka:{version()}", name
    for name in ("kafka-1", "kafka-2", "kafka-3"):
        env = services[name]["environment"]
        assert {k: env.get(_compose_env_name(k)) for k in expected} == expected, name


def test_compose_topics_get_the_tested_replication_and_topic_config():
    from shared.broker_config import PRODUCTION_BROKERS, replication_factor, topic_config

    command = _compose()["services"]["kafka-init"]["command"][0]
    rf = replication_factor(PRODUCTION_BROKERS)
    assert f"--replication-factor {rf}" in command
    for key, value in topic_config(rf).items():
        assert f"--config {key}={value}" in command


def test_strimzi_cluster_and_topics_use_the_tested_version_and_settings():
    from shared.broker_config import PRODUCTION_BROKERS, broker_properties, replication_factor, topic_config
    from tools.kafka import version

    docs = [d for _, d in _k8s_docs(K8S / "custom-resources")]
    kafka = next(d for d in docs if d["kind"] == "Kafka")
    assert kafka["spec"]["kafka"]["version"] == version()
    config = {k: str(v).lower() for k, v in kafka["spec"]["kafka"]["config"].items()}
    assert {k: config.get(k) for k in broker_properties(PRODUCTION_BROKERS)} == broker_properties(PRODUCTION_BROKERS)
    (pool,) = [d for d in docs if d["kind"] == "KafkaNodePool"]
    assert pool["spec"]["replicas"] == PRODUCTION_BROKERS
    rf = replication_factor(PRODUCTION_BROKERS)
    topics = [d for d in docs if d["kind"] == "KafkaTopic"]
    assert {t["spec"]["topicName"]: t["spec"]["partitions"] for t in topics} == all_topics()
    for t in topics:
        assert t["spec"]["replicas"] == rf
        assert {k: str(v) for k, v in t["spec"]["config"].items()} == topic_config(rf), t["spec"]["topicName"]


def test_every_service_replica_has_a_stable_static_member_id():
    services = _compose()["services"]
    for name in SERVICES:
        assert services[name]["environment"]["REPLICA_ID"] == "hostname", name
    for _, doc in _k8s_docs(K8S):
        if doc["kind"] == "Deployment":
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            env = {e["name"]: e for e in container.get("env", [])}
            assert env["REPLICA_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", doc["metadata"]["name"]
