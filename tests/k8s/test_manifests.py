"""Static checks of the Kubernetes manifests under k8s/ and of the Dockerfile.

No database, no cluster: every object is validated against the Kubernetes
OpenAPI schemas that the `kubernetes-validate` package ships (KEDA's objects, custom
resources it has no schema for, are checked field by field), and the deployment facts
that matter are asserted directly on the YAML, against the Django settings they must fit
(queue names, upload limits, the PDF timeout). If `kubectl` is on PATH, each
kustomization is also rendered (`kubectl kustomize`, offline) and the output checked.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "k8s"
BASE_DIR = K8S_DIR / "base"
KUSTOMIZATION_NAMES = {"kustomization.yaml", "kustomization.yml"}
YAML_SUFFIXES = {".yaml", ".yml"}
# Documents the Secret's keys; must never be deployed from the repo.
SECRET_EXAMPLE = BASE_DIR / "secret.example.yaml"
IMAGE = "registry.example.gov.cn/stationnet/stationnet"
CONFIGMAP = "stationnet-config"
SECRET = "stationnet-secrets"  # the Secret object's name, not a secret value
TMP = "/tmp"  # noqa: S108 - a mount path inside the pod

# A baseline every supported cluster should meet, plus the newest schema set that the
# installed kubernetes-validate ships.
BASELINE_K8S_VERSION = "1.30"
LATEST_K8S_VERSION = ".".join(kubernetes_validate.latest_version().split(".")[:2])
K8S_VERSIONS = sorted(
    {BASELINE_K8S_VERSION, LATEST_K8S_VERSION},
    key=lambda v: tuple(int(part) for part in v.split(".")),
)

WORKLOAD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob"}
# Custom resources (KEDA): no schema in kubernetes-validate, checked by the KEDA tests below.
CUSTOM_GROUPS = {"keda.sh"}
QUEUES = ["deliveries", "periodic", "bulk"]
WORKERS = [f"worker-{queue}" for queue in QUEUES]


def _is_custom(obj: dict) -> bool:
    return obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS


def _rel(path: Path) -> str:
    return path.relative_to(K8S_DIR).as_posix()


def _yaml_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)


def _kustomizations() -> list[Path]:
    return sorted(p for p in K8S_DIR.rglob("*.y*ml") if p.name in KUSTOMIZATION_NAMES)


def _manifest_files() -> list[Path]:
    return [p for p in _yaml_files() if p.name not in KUSTOMIZATION_NAMES]


def _load_all(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def _load_one(path: Path) -> dict:
    docs = _load_all(path)
    assert len(docs) == 1, f"{_rel(path)}: expected one document, found {len(docs)}"
    return docs[0]


def _objects() -> list[tuple[str, dict]]:
    """(id, object) for every Kubernetes object in every manifest file under k8s/."""
    found = []
    for path in _manifest_files():
        for doc in _load_all(path):
            name = doc.get("metadata", {}).get("name", "?")
            found.append((f"{_rel(path)}:{doc.get('kind')}/{name}", doc))
    return found


OBJECTS = _objects()


def _base_objects() -> dict[tuple[str, str], dict]:
    """(kind, name) -> object for everything the base kustomization deploys."""
    kustomization = _load_one(BASE_DIR / "kustomization.yaml")
    objects = {}
    for entry in kustomization.get("resources", []):
        for doc in _load_all(BASE_DIR / entry):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


BASE = _base_objects()
WORKLOADS = sorted((kind, name) for kind, name in BASE if kind in WORKLOAD_KINDS)


def _pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def _containers(obj: dict) -> list[dict]:
    pod = _pod_spec(obj)
    return pod.get("initContainers", []) + pod["containers"]


def _workload_id(workload: tuple[str, str]) -> str:
    return f"{workload[0]}/{workload[1]}"


def _hpas() -> list[dict]:
    return [obj for (kind, _), obj in BASE.items() if kind == "HorizontalPodAutoscaler"]


def _hpa_targets() -> list[str]:
    return [hpa["spec"]["scaleTargetRef"]["name"] for hpa in _hpas()]


def _container(kind: str, name: str) -> dict:
    (container,) = _pod_spec(BASE[(kind, name)])["containers"]
    return container


# --- files and kustomizations ---------------------------------------------------------


def test_k8s_tree_has_a_base_and_a_production_overlay():
    assert (BASE_DIR / "kustomization.yaml").is_file()
    assert (K8S_DIR / "overlays" / "production" / "kustomization.yaml").is_file()


@pytest.mark.parametrize("path", _yaml_files(), ids=_rel)
def test_yaml_parses(path):
    docs = _load_all(path)
    assert docs, f"{_rel(path)} holds no YAML document"
    for doc in docs:
        assert isinstance(doc, dict)


@pytest.mark.parametrize("kustomization", _kustomizations(), ids=_rel)
def test_kustomization_resources_exist(kustomization):
    data = _load_one(kustomization)
    assert data.get("kind") == "Kustomization"
    assert data.get("resources"), f"{_rel(kustomization)} lists no resources"
    for entry in data["resources"]:
        target = (kustomization.parent / entry).resolve()
        assert target.exists(), f"{_rel(kustomization)} lists missing {entry!r}"
        if target.is_dir():
            names = {p.name for p in target.iterdir()}
            assert names & KUSTOMIZATION_NAMES, f"{entry!r} is not a kustomization"
    assert "commonLabels" not in data, "use `labels:` (commonLabels is deprecated)"


def test_every_base_manifest_is_listed_except_the_secret_example():
    listed = set(_load_one(BASE_DIR / "kustomization.yaml")["resources"])
    on_disk = {p.name for p in BASE_DIR.iterdir() if p.suffix in YAML_SUFFIXES}
    on_disk -= KUSTOMIZATION_NAMES
    assert SECRET_EXAMPLE.is_file()
    assert SECRET_EXAMPLE.name not in listed, "the example Secret must not be deployed"
    assert sorted(on_disk - listed) == [SECRET_EXAMPLE.name]


def test_base_is_namespace_agnostic():
    assert "namespace" not in _load_one(BASE_DIR / "kustomization.yaml")
    for (kind, name), obj in BASE.items():
        assert "namespace" not in obj["metadata"], f"{kind}/{name} sets a namespace"


def test_no_secret_is_deployed_from_the_repo():
    assert [key for key in BASE if key[0] == "Secret"] == []
    for path in _manifest_files():
        if path != SECRET_EXAMPLE:
            kinds = {doc.get("kind") for doc in _load_all(path)}
            assert "Secret" not in kinds, f"{_rel(path)} holds a Secret"


# --- schema validation ----------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(
    "obj", [o for _, o in OBJECTS if not _is_custom(o)], ids=[i for i, o in OBJECTS if not _is_custom(o)]
)
def test_object_matches_kubernetes_schema(obj, version):
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "<root>"
        pytest.fail(f"invalid against Kubernetes {version} at {where}: {exc.message}")


# --- workloads ------------------------------------------------------------------------


def test_expected_objects_are_in_the_base():
    expected = {
        ("ConfigMap", CONFIGMAP),
        ("Deployment", "web"),
        *(("Deployment", worker) for worker in WORKERS),
        ("Deployment", "beat"),
        ("Job", "migrate"),
        ("Service", "web"),
        ("Ingress", "web"),
        ("HorizontalPodAutoscaler", "web"),
        *(("ScaledObject", worker) for worker in WORKERS),
        ("PodDisruptionBudget", "web"),
        *(("PodDisruptionBudget", worker) for worker in WORKERS),
        ("NetworkPolicy", "default-deny"),
    }
    assert expected <= set(BASE)
    # The one worker of old, replaced by a worker per queue.
    assert ("Deployment", "worker") not in BASE
    assert ("HorizontalPodAutoscaler", "worker") not in BASE


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_every_container_has_resource_requests_and_limits(workload):
    for container in _containers(BASE[workload]):
        resources = container.get("resources", {})
        for section in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(section, {})), (
                f"{_workload_id(workload)}/{container['name']} lacks {section}"
            )


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_no_container_runs_as_root(workload):
    pod = _pod_spec(BASE[workload])
    pod_ctx = pod.get("securityContext", {})
    for container in _containers(BASE[workload]):
        ctx = {**pod_ctx, **container.get("securityContext", {})}
        label = f"{_workload_id(workload)}/{container['name']}"
        assert ctx.get("runAsNonRoot") is True, f"{label}: runAsNonRoot is not set"
        assert ctx.get("runAsUser", 1) != 0, f"{label}: runs as UID 0"
        assert ctx.get("allowPrivilegeEscalation") is False, f"{label}: can escalate"
        assert ctx.get("privileged", False) is False, f"{label}: is privileged"


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_read_only_root_filesystem_has_a_writable_tmp(workload):
    pod = _pod_spec(BASE[workload])
    empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for container in _containers(BASE[workload]):
        ctx = container.get("securityContext", {})
        assert ctx.get("readOnlyRootFilesystem") is True
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert mounts.get(TMP) in empty_dirs, f"{container['name']}: no emptyDir at {TMP}"


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_workloads_read_config_and_secret(workload):
    for container in _containers(BASE[workload]):
        refs = container.get("envFrom", [])
        assert {"configMapRef": {"name": CONFIGMAP}} in refs
        assert {"secretRef": {"name": SECRET}} in refs


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_images_are_managed_by_kustomize(workload):
    kustomization = _load_one(BASE_DIR / "kustomization.yaml")
    image_names = {entry["name"] for entry in kustomization["images"]}
    for container in _containers(BASE[workload]):
        assert container["image"].rsplit(":", 1)[0] in image_names


@pytest.mark.parametrize("name", ["web", *WORKERS, "beat"])
def test_deployment_selector_matches_its_pods(name):
    deployment = BASE[("Deployment", name)]
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert selector["app.kubernetes.io/component"] == name


def test_web_runs_gunicorn_on_named_port_http():
    web = _container("Deployment", "web")
    assert web["command"][:2] == ["gunicorn", "stationnet.wsgi:application"]
    assert "0.0.0.0:8000" in web["command"]
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in web["ports"]


def test_web_probes():
    web = _container("Deployment", "web")
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    # The HPA owns the replica count; a fixed spec.replicas would fight it on apply.
    assert "replicas" not in BASE[("Deployment", "web")]["spec"]


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def _queue_name(queue: str) -> str:
    """The queue's name in production: settings.WORKER_QUEUES with the ConfigMap's STATIONNET_CELERY_QUEUE, or its
    default (this test run's own prefix is not production's)."""
    prefix = BASE[("ConfigMap", CONFIGMAP)]["data"].get("STATIONNET_CELERY_QUEUE", "celery")
    return settings.WORKER_QUEUES[queue].replace(settings.CELERY_TASK_DEFAULT_QUEUE, prefix, 1)


@pytest.mark.parametrize("queue", QUEUES)
def test_each_queue_has_a_worker_deployment_of_its_own(queue):
    deployment = BASE[("Deployment", f"worker-{queue}")]
    command = _container("Deployment", f"worker-{queue}")["command"]
    assert command[:4] == ["celery", "-A", "stationnet", "worker"]
    queues = _option(command, "--queues").split(",")
    assert queues[0] == _queue_name(queue) == f"celery.{queue}"
    # Only the periodic worker also takes the default queue: a task routed nowhere still runs, behind no export.
    assert queues[1:] == ([_queue_name("default")] if queue == "periodic" else [])
    # Prefork: the heartbeat (liveness) comes from the main process while a pool process runs a long task.
    assert _option(command, "--pool") == "prefork"
    # KEDA owns the replica count; a fixed spec.replicas would fight it on apply.
    assert "replicas" not in deployment["spec"]
    # A pod told to stop finishes its running task (warm shutdown) before Kubernetes kills it.
    time_limit = int(_option(command, "--time-limit"))
    assert time_limit < _pod_spec(deployment)["terminationGracePeriodSeconds"]


def test_worker_deployments_fit_their_work():
    concurrency = {q: int(_option(_container("Deployment", f"worker-{q}")["command"], "--concurrency")) for q in QUEUES}
    time_limit = {q: int(_option(_container("Deployment", f"worker-{q}")["command"], "--time-limit")) for q in QUEUES}
    memory = {q: _container("Deployment", f"worker-{q}")["resources"]["limits"]["memory"] for q in QUEUES}

    def mebibytes(quantity: str) -> int:
        number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
        return int(number) * (1024 if unit == "Gi" else 1)

    # Bulk: one job at a time per pod, the most memory, the longest time limit (an archive export).
    assert concurrency["bulk"] == 1
    assert concurrency["deliveries"] > concurrency["bulk"]
    assert mebibytes(memory["bulk"]) > max(mebibytes(memory["deliveries"]), mebibytes(memory["periodic"]))
    assert time_limit["bulk"] > time_limit["periodic"] > time_limit["deliveries"]


def test_beat_is_a_single_replica_recreated_with_a_writable_schedule():
    beat = BASE[("Deployment", "beat")]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    container = _container("Deployment", "beat")
    assert container["command"][:4] == ["celery", "-A", "stationnet", "beat"]
    schedule = container["command"][container["command"].index("--schedule") + 1]
    assert schedule == "/var/lib/celerybeat/schedule"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod_spec(beat)["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/celerybeat"]]
    assert "beat" not in _hpa_targets()


def test_migrate_job_runs_migrate_schemas_before_rollout():
    job = BASE[("Job", "migrate")]
    command = _container("Job", "migrate")["command"]
    assert command[:2] == ["django-admin", "migrate_schemas"]
    assert "--noinput" in command
    assert "collectstatic" not in command, "collectstatic runs at image build time"
    assert job["spec"]["backoffLimit"] >= 0
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    assert _pod_spec(job)["restartPolicy"] == "Never"
    assert job["metadata"]["annotations"]["stationnet/rollout-phase"] == "pre-deploy"


@pytest.mark.parametrize("target", ["web"])
def test_hpa_scales_on_cpu(target):
    assert _hpa_targets().count(target) == 1, f"expected one HPA for {target}"
    (hpa,) = (o for o in _hpas() if o["spec"]["scaleTargetRef"]["name"] == target)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    cpu = [
        m["resource"]["target"]
        for m in hpa["spec"]["metrics"]
        if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
    ]
    assert len(cpu) == 1
    assert cpu[0]["type"] == "Utilization"
    if target == "web":
        assert cpu[0]["averageUtilization"] == 70


def test_service_routes_port_80_to_web_pods():
    service = BASE[("Service", "web")]
    port = {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    assert port in service["spec"]["ports"]
    pod_labels = BASE[("Deployment", "web")]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_pdb_covers_web_pods():
    pdb = BASE[("PodDisruptionBudget", "web")]
    pod_labels = BASE[("Deployment", "web")]["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa_min = BASE[("HorizontalPodAutoscaler", "web")]["spec"]["minReplicas"]
    assert pdb["spec"]["minAvailable"] < hpa_min, "the PDB must allow evicting a pod"


def _check_ingress_matches_domain(ingress: dict, configmap: dict) -> None:
    domain = configmap["data"]["STATIONNET_BASE_DOMAIN"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [domain, f"*.{domain}"], "need the public and the wildcard host"
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend == {"name": "web", "port": {"name": "http"}}
    tls_hosts = {host for entry in ingress["spec"]["tls"] for host in entry["hosts"]}
    assert set(hosts) <= tls_hosts
    assert all(entry.get("secretName") for entry in ingress["spec"]["tls"])


def test_ingress_serves_base_domain_and_wildcard_with_tls():
    ingress, configmap = BASE[("Ingress", "web")], BASE[("ConfigMap", CONFIGMAP)]
    _check_ingress_matches_domain(ingress, configmap)


def test_configmap_and_secret_example_keys():
    config = BASE[("ConfigMap", CONFIGMAP)]["data"]
    assert {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_DEBUG",
        "STATIONNET_BASE_DOMAIN",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
    } <= set(config)
    assert config["DJANGO_DEBUG"] == "0"
    secret = _load_one(SECRET_EXAMPLE)
    assert secret["metadata"]["name"] == SECRET
    secret_keys = {
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "REDIS_ADDRESS",
        "REDIS_PASSWORD",
    }
    assert set(secret["stringData"]) == secret_keys
    assert not secret_keys & set(config), "secret values must not be in the ConfigMap"


# --- scaling, liveness, disruptions (issue 21) -----------------------------------------


def _secret_example_keys() -> set[str]:
    return set(_load_one(SECRET_EXAMPLE)["stringData"])


@pytest.mark.parametrize("queue", QUEUES)
def test_each_worker_scales_on_its_queue_length_with_keda(queue):
    scaled = BASE[("ScaledObject", f"worker-{queue}")]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": f"worker-{queue}"}
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    # KEDA reads the Redis list kombu keeps the queue's waiting tasks in: the queue's name.
    assert trigger["metadata"]["listName"] == _queue_name(queue)
    assert int(trigger["metadata"]["listLength"]) >= 1
    assert all(isinstance(value, str) for value in trigger["metadata"].values()), "KEDA metadata values are strings"
    authentication = BASE[("TriggerAuthentication", trigger["authenticationRef"]["name"])]
    for ref in authentication["spec"]["secretTargetRef"]:
        assert ref["parameter"] in {"address", "password"}
        assert ref["name"] == SECRET
        assert ref["key"] in _secret_example_keys(), "the Secret's documented keys must include what KEDA reads"
    # No HPA of ours on the same Deployment: KEDA makes its own, two would fight.
    assert f"worker-{queue}" not in _hpa_targets()


def test_every_worker_deployment_has_a_scaled_object_and_a_pdb():
    workers = {name for kind, name in BASE if kind == "Deployment" and name.startswith("worker")}
    assert workers == set(WORKERS)
    assert {name for kind, name in BASE if kind == "ScaledObject"} == workers
    for worker in workers:
        pdb = BASE[("PodDisruptionBudget", worker)]
        pod_labels = BASE[("Deployment", worker)]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        # A drain may still evict a pod when the worker runs a single replica (its task finishes in the grace).
        assert pdb["spec"].get("maxUnavailable", 0) >= 1 or pdb["spec"]["minAvailable"] == 0


def _probe_command(name: str, probe: str) -> list[str]:
    return _container("Deployment", name)[probe]["exec"]["command"]


@pytest.mark.parametrize("name", [*WORKERS, "beat"])
def test_workers_and_beat_have_a_liveness_probe_on_their_heartbeat_file(name):
    container = _container("Deployment", name)
    env = {item["name"]: item["value"] for item in container["env"]}
    heartbeat = Path(env["STATIONNET_HEARTBEAT_FILE"])
    # On the writable emptyDir (the root filesystem is read-only).
    assert heartbeat.parent.as_posix() == TMP
    for probe in ("startupProbe", "livenessProbe"):
        assert _probe_command(name, probe)[:2] == ["sh", "-c"]
        assert "$STATIONNET_HEARTBEAT_FILE" in _probe_command(name, probe)[2]
    liveness = container["livenessProbe"]
    # Restarted only after minutes of silence, not at the first late beat.
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 120


@pytest.mark.parametrize("name", [*WORKERS, "beat"])
def test_the_liveness_probe_passes_on_a_fresh_heartbeat_and_fails_on_a_stale_or_missing_one(name, tmp_path):
    """The probe's own shell command, run here as the kubelet runs it in the container (its environment)."""
    command = _probe_command(name, "livenessProbe")
    heartbeat = tmp_path / "heartbeat"

    def probe() -> int:
        environment = {"PATH": os.environ["PATH"], "STATIONNET_HEARTBEAT_FILE": str(heartbeat)}
        return subprocess.run(command, env=environment, check=False, timeout=10).returncode  # noqa: S603

    assert probe() != 0, "no heartbeat yet: not alive"
    heartbeat.touch()
    assert probe() == 0, f"fresh heartbeat refused by {shlex.join(command)}"
    old = time.time() - 10 * 60
    os.utime(heartbeat, (old, old))
    assert probe() != 0, "a heartbeat ten minutes old must fail the probe"


def _egress_ports(policy: dict) -> set[int]:
    return {port["port"] for rule in policy["spec"].get("egress", []) for port in rule.get("ports", [])}


def test_network_policies_deny_by_default():
    deny = BASE[("NetworkPolicy", "default-deny")]
    assert deny["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "stationnet"}}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


@pytest.mark.parametrize("workload", WORKLOADS, ids=_workload_id)
def test_every_component_has_its_network_policy(workload):
    labels = BASE[workload]["spec"]["template"]["metadata"]["labels"]
    component = labels["app.kubernetes.io/component"]
    policy = BASE[("NetworkPolicy", component)]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    ports = _egress_ports(policy)
    # The database and DNS for everybody; nothing beyond the database, Redis, DNS, the mail relay and the SMS gateway.
    assert {5432, 53} <= ports
    email_port = int(BASE[("ConfigMap", CONFIGMAP)]["data"]["EMAIL_PORT"])
    assert ports <= {53, 5432, 6379, email_port, 443}
    for rule in policy["spec"]["egress"]:
        assert rule.get("ports"), f"{component}: an egress rule without ports opens every port"
    if component.startswith("worker-"):
        assert {6379, email_port, 443} <= ports, "workers send e-mails and text messages"
    else:
        assert email_port not in ports, "only workers send mail"
    if component == "web":
        (rule,) = policy["spec"]["ingress"]
        (peer,) = rule["from"]
        assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
        assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    else:
        assert policy["spec"].get("ingress", []) == [], f"nothing connects to {component}"


def _megabytes(size: str) -> int:
    """An ingress-nginx size ("25m", "1g") in bytes."""
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_ingress_body_size_fits_the_largest_upload():
    annotations = BASE[("Ingress", "web")]["metadata"]["annotations"]
    body = _megabytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    upload_limits = {name: getattr(settings, name) for name in dir(settings) if name.endswith("_MAX_BYTES")}
    assert upload_limits, "no upload limit found in settings"
    largest = max(upload_limits.values())
    # The largest file with the form's other fields (Django refuses those beyond DATA_UPLOAD_MAX_MEMORY_SIZE).
    assert body >= largest + settings.DATA_UPLOAD_MAX_MEMORY_SIZE, upload_limits


def test_gunicorn_timeout_fits_the_slowest_page_and_the_ingress_waits_longer():
    web = BASE[("Deployment", "web")]
    command = _container("Deployment", "web")["command"]
    timeout = int(_option(command, "--timeout"))
    graceful = int(_option(command, "--graceful-timeout"))
    # The slowest synchronous page: a form printed to PDF by chromium, which may take STATIONNET_PDF_TIMEOUT.
    assert timeout > settings.STATIONNET_PDF_TIMEOUT
    annotations = BASE[("Ingress", "web")]["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > timeout
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) > timeout
    pre_stop = int(_container("Deployment", "web")["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pre_stop + graceful < _pod_spec(web)["terminationGracePeriodSeconds"]
    # The image's own command (docker run, compose) has the same timeouts.
    image_command = next(line for line in (REPO_ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    image_command = json.loads(image_command.removeprefix("CMD"))
    assert _option(image_command, "--timeout") == str(timeout)
    assert _option(image_command, "--graceful-timeout") == str(graceful)


# --- rendered output (needs kubectl, offline) -----------------------------------------

KUBECTL = shutil.which("kubectl")


def _render(kustomization: Path) -> list[dict]:
    result = subprocess.run(  # fixed argv, no shell
        [KUBECTL, "kustomize", str(kustomization.parent)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("kustomization", _kustomizations(), ids=_rel)
def test_kustomization_renders_valid_objects(kustomization):
    rendered = _render(kustomization)
    by_key = {(doc["kind"], doc["metadata"]["name"]): doc for doc in rendered}
    assert set(by_key) == set(BASE), "every overlay deploys exactly the base objects"
    for doc in rendered:
        if not _is_custom(doc):
            kubernetes_validate.validate(doc, LATEST_K8S_VERSION, strict=True)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "stationnet"
        if doc["kind"] in WORKLOAD_KINDS:
            for container in _containers(doc):
                assert container["image"].startswith(f"{IMAGE}:"), "pin the image tag"
    ingress, configmap = by_key[("Ingress", "web")], by_key[("ConfigMap", CONFIGMAP)]
    _check_ingress_matches_domain(ingress, configmap)
    assert by_key[("Deployment", "beat")]["spec"]["replicas"] == 1
    if kustomization.parent != BASE_DIR:
        namespaces = {doc["metadata"].get("namespace") for doc in rendered}
        assert len(namespaces) == 1, "an overlay must set one namespace"
        assert None not in namespaces, "an overlay must set one namespace"


# --- Dockerfile -----------------------------------------------------------------------


def test_dockerfile_runs_as_non_root_and_collects_static_at_build_time():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in dockerfile.splitlines()]
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user
    assert user[-1].split(":")[0] not in {"0", "root"}
    assert "EXPOSE 8000" in lines
    assert "DJANGO_SETTINGS_MODULE=stationnet.settings" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    cmd = [line for line in lines if line.startswith("CMD")]
    assert cmd
    assert "stationnet.wsgi:application" in cmd[-1]
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "tests/"} <= set(ignored)
