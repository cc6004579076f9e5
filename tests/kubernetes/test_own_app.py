"""Your own app on Kubernetes: `commands`, `port`, `health`, `requestTimeoutS`, `env` and `secretEnv`
reach every workload, the Service, the gateway, the NetworkPolicies and the outside uptime check, and
the secret values reach only the Secret (tests/kubernetes/conftest.py: OWN_APP, OWN_SECRET_ENV).
tests/kubernetes/test_validate.py runs the same render through kubernetes-validate, the CRD schemas
and checkov."""

from __future__ import annotations

import json

from infra.settings.model import DEFAULT_WORKERS
from infra.tooling.values import Secret, unwrapped
from tests.kubernetes.conftest import OWN_APP, OWN_SECRET_ENV, SCHEDULES, find

COMMANDS = OWN_APP["commands"]
SERVICE_SECRET = "ai-service-env"


def _service_containers(objects) -> dict[str, dict]:
    """`<kind>/<name>` -> the container of every workload of the service image (not redis, not accessories)."""
    out = {}
    for obj in objects:
        if obj["kind"] == "CronJob":
            pod = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif obj["kind"] in ("Deployment", "Job"):
            pod = obj["spec"]["template"]["spec"]
        else:
            continue
        if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "accessory":
            continue
        (container,) = pod["containers"]
        out[f"{obj['kind']}/{obj['metadata']['name']}"] = container
    return out


def _argv(container: dict) -> list[str]:
    return container["command"] + container.get("args", [])


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"]}


def test_every_role_runs_its_argv_from_config_as_command_and_args(own_app_objects):
    containers = _service_containers(own_app_objects)
    api = containers["Deployment/ai-service-api"]
    assert (api["command"], api["args"]) == (["python"], ["-m", "invoices", "serve"])  # the image's ENTRYPOINT goes
    for worker in DEFAULT_WORKERS:
        queues = ",".join(worker.queues)
        argv = _argv(containers[f"Deployment/ai-service-worker-{worker.name}"])
        assert argv == ["invoices-worker", f"--queues={queues}", "--burst-off"]
    (migrate,) = [c for name, c in containers.items() if name.startswith("Job/ai-service-migrate-")]
    assert _argv(migrate) == COMMANDS["migrate"]
    for schedule in SCHEDULES:
        argv = _argv(containers[f"CronJob/ai-service-schedule-{schedule['name']}"])
        assert argv == [*COMMANDS["task"], *schedule["command"]]
    assert len(containers) == 1 + len(DEFAULT_WORKERS) + 1 + len(SCHEDULES)


def test_the_app_env_reaches_every_role_and_the_stack_env_stays(own_app_objects):
    containers = _service_containers(own_app_objects)
    for name, container in containers.items():
        env = _env(container)
        assert OWN_APP["env"].items() <= env.items(), name
        assert len(container["env"]) == len(env), name  # each name once
    api = _env(containers["Deployment/ai-service-api"])
    assert api["PORT"] == "8080"
    assert "JOB_TIMEOUT_SECONDS" in _env(containers["Deployment/ai-service-worker-documents"])


def test_secret_env_joins_the_service_secret_every_role_reads(prod_own_app, own_app_objects):
    secret = next(
        r
        for r in prod_own_app.resources
        if r.type == "kubernetes:core/v1:Secret" and r.inputs["metadata"]["name"] == SERVICE_SECRET
    )
    assert isinstance(secret.inputs["stringData"], Secret)  # a Pulumi secret as a whole
    data = unwrapped(secret.inputs["stringData"])
    assert {k: data[k] for k in OWN_SECRET_ENV} == OWN_SECRET_ENV
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "API_KEYS"} <= data.keys()  # next to the service's own
    for name, container in _service_containers(own_app_objects).items():
        assert {"secretRef": {"name": SERVICE_SECRET}} in container["envFrom"], name
        assert not OWN_SECRET_ENV.keys() & _env(container).keys(), name  # never as plain env
    config = find(own_app_objects, "ConfigMap", "ai-service-config")["data"]
    assert not OWN_SECRET_ENV.keys() & config.keys()


def test_secret_env_values_never_reach_the_plan_json_or_any_rendered_file(prod_own_app):
    printed = json.dumps(prod_own_app.as_dict())
    rendered = "\n".join(str(v) for v in prod_own_app.artifacts.values())
    for value in OWN_SECRET_ENV.values():
        assert value not in printed
        assert value not in rendered
    assert "ANTHROPIC_API_KEY" not in rendered  # not even the name: Secrets are never rendered


def test_port_and_probe_paths_reach_container_service_gateway_and_network_policy(own_app_objects):
    api = _service_containers(own_app_objects)["Deployment/ai-service-api"]
    assert api["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    probes = {p: api[p]["httpGet"] for p in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert probes == {
        "startupProbe": {"path": "/livez", "port": "http"},
        "livenessProbe": {"path": "/livez", "port": "http"},
        "readinessProbe": {"path": "/readyz", "port": "http"},
    }
    service = find(own_app_objects, "Service", "ai-service-api")
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    route = find(own_app_objects, "HTTPRoute", "ai-service-api")["spec"]["rules"][0]
    assert route["backendRefs"][0]["port"] == 8080
    # The outside uptime check's path is routed; readiness stays inside the cluster.
    assert {"path": {"type": "Exact", "value": "/livez"}} in route["matches"]
    assert not any(m["path"]["value"] in ("/health", "/readyz") for m in route["matches"])
    policy = find(own_app_objects, "NetworkPolicy", "api-ingress")
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == [8080, 8080]


def test_uptime_check_probes_the_configured_liveness_path(prod_own_app):
    check = unwrapped(prod_own_app.one("uptimeCheck:UptimeCheck", "uptime").inputs)
    assert check["target"] == "https://api.example.com/livez"


def test_api_route_waits_request_timeout_s(own_app_objects, objects):
    own = find(own_app_objects, "HTTPRoute", "ai-service-api")["spec"]["rules"][0]
    assert own["timeouts"] == {"request": "300s"}
    # The default 60 s is explicit too: Envoy's own default (15 s) would cut requests the other targets serve.
    default = find(objects, "HTTPRoute", "ai-service-api")["spec"]["rules"][0]
    assert default["timeouts"] == {"request": "60s"}
    # Accessories' routes keep the gateway's default: requestTimeoutS is the API's.
    for route in (o for o in own_app_objects if o["kind"] == "HTTPRoute" and o["metadata"]["name"] != "ai-service-api"):
        assert all("timeouts" not in rule for rule in route["spec"]["rules"])


def test_defaults_render_the_reference_service(objects):
    containers = _service_containers(objects)
    api = containers["Deployment/ai-service-api"]
    assert _argv(api) == ["ai-service", "api"] and api["ports"][0]["containerPort"] == 8000
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert _argv(containers["Deployment/ai-service-worker-cleanup"]) == [
        "ai-service",
        "worker",
        "--queues",
        "cleanup_tasks",
    ]
    (migrate,) = [c for name, c in containers.items() if name.startswith("Job/")]
    assert _argv(migrate) == ["ai-service", "migrate"]


def test_each_service_container_starts_with_the_app_env_and_secrets_as_the_kubelet_resolves_them(prod_own_app):
    """The contract tests' reader (envFrom ConfigMap/Secret in order, then env) over the planned objects:
    what each container of the service image would really get."""
    from tests.contract.platform import kubernetes

    workloads = kubernetes(prod_own_app, secrets=None)  # the kubernetes reader needs no outside store
    assert len(workloads) == 1 + len(DEFAULT_WORKERS) + 1 + len(SCHEDULES)
    for workload in workloads:
        assert (OWN_APP["env"] | OWN_SECRET_ENV).items() <= workload.env.items(), workload.name
        assert workload.argv[0] in ("python", "invoices-worker", "alembic", "invoices"), workload.name
    api = next(w for w in workloads if w.name == "Deployment/ai-service-api/api")
    assert (api.argv, api.port, api.env["PORT"]) == (["python", "-m", "invoices", "serve"], 8080, "8080")
