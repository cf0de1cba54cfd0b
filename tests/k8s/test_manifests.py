"""Static checks of the Kubernetes manifests under k8s/ and of the Dockerfile.

No Django, no database, no cluster: every object is validated against the Kubernetes
OpenAPI schemas that the `kubernetes-validate` package ships, and the deployment facts
that matter are asserted directly on the YAML. If `kubectl` is on PATH, each
kustomization is also rendered (`kubectl kustomize`, offline) and the output checked.
"""

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

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
@pytest.mark.parametrize("obj", [o for _, o in OBJECTS], ids=[i for i, _ in OBJECTS])
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
        ("Deployment", "worker"),
        ("Deployment", "beat"),
        ("Job", "migrate"),
        ("Service", "web"),
        ("Ingress", "web"),
        ("HorizontalPodAutoscaler", "web"),
        ("HorizontalPodAutoscaler", "worker"),
        ("PodDisruptionBudget", "web"),
    }
    assert expected <= set(BASE)


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


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
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


def test_worker_runs_celery_worker():
    worker = _container("Deployment", "worker")
    assert worker["command"][:4] == ["celery", "-A", "stationnet", "worker"]
    assert "replicas" not in BASE[("Deployment", "worker")]["spec"]


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


@pytest.mark.parametrize("target", ["web", "worker"])
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
    }
    assert set(secret["stringData"]) == secret_keys
    assert not secret_keys & set(config), "secret values must not be in the ConfigMap"


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
