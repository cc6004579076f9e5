"""Accessories on the cluster: the right workload and storage, a Secret for secretEnv that never
leaks, the service pointed at them, a public route only when asked, untouched by service releases."""

from __future__ import annotations

import json

import pytest

from infra.render.kubernetes.edge import accessory_route
from infra.settings.extras import ACCESSORY_CSP, Accessory
from infra.tooling.values import Secret, masked, unwrapped
from tests.kubernetes.conftest import ACCESSORIES, ACCESSORY_SECRET, SCHEDULES, find

RESTRICTED = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
NAMES = [a["name"] for a in ACCESSORIES]


def _pod(objects, kind: str, name: str) -> dict:
    return find(objects, kind, name)["spec"]["template"]["spec"]


def test_accessory_with_a_volume_is_a_statefulset_with_its_claim(extras_objects):
    sts = find(extras_objects, "StatefulSet", "whatsapp")
    assert sts["spec"]["replicas"] == 1
    claim = sts["spec"]["volumeClaimTemplates"]
    assert [
        (c["metadata"]["name"], c["spec"]["resources"]["requests"]["storage"], c["spec"]["accessModes"]) for c in claim
    ] == [("sessions", "2Gi", ["ReadWriteOnce"])]
    # The data outlives the StatefulSet (a removed accessory or a Pulumi replace keeps its claim).
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["volumeMounts"] == [{"name": "sessions", "mountPath": "/app/sessions"}]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    assert container["resources"]["requests"]["memory"] == "512Mi"
    assert sts["spec"]["template"]["spec"]["securityContext"]["fsGroup"] > 0  # the claim is writable for the uid


def test_accessories_without_volumes_are_deployments_and_only_ported_ones_get_a_service(extras_objects):
    helpdesk = find(extras_objects, "Deployment", "helpdesk")
    assert helpdesk["spec"]["replicas"] == 1
    container = helpdesk["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve", "--quiet"] and "command" not in container  # the image's ENTRYPOINT stays
    assert container["resources"]["limits"] == {"cpu": "250m", "memory": "256Mi"}  # the defaults
    service = find(extras_objects, "Service", "helpdesk")["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [{"name": "app", "port": 8080, "targetPort": "app", "protocol": "TCP"}]
    find(extras_objects, "Deployment", "sync")
    assert not [o for o in extras_objects if o["kind"] == "Service" and o["metadata"]["name"] == "sync"]
    assert not [
        o for o in extras_objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] in ("helpdesk", "sync")
    ]


@pytest.mark.parametrize("kind,name", [("StatefulSet", "whatsapp"), ("Deployment", "helpdesk"), ("Deployment", "sync")])
def test_accessories_run_under_the_restricted_pod_security_standard(extras_objects, kind, name):
    obj = find(extras_objects, kind, name)
    pod = obj["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == name
    assert pod["enableServiceLinks"] is False  # no REDIS_PORT=tcp://… injected into a third-party container
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert "imagePullSecrets" not in pod  # public third-party images; the registry credential stays with the service
    for container in pod["containers"]:
        sc = container["securityContext"]
        assert RESTRICTED.items() <= sc.items()
        assert sc["runAsUser"] >= 10000
        # Writable root for images that write where their authors chose: said in the manifest for checkov.
        assert sc["readOnlyRootFilesystem"] is False
        assert obj["metadata"]["annotations"]["checkov.io/skip1"].startswith("CKV_K8S_22=")


def test_ported_accessories_are_probed_on_their_port(extras_objects):
    container = _pod(extras_objects, "Deployment", "helpdesk")["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["tcpSocket"] == {"port": "app"}
    assert container["ports"] == [{"name": "app", "containerPort": 8080, "protocol": "TCP"}]


def test_a_tag_is_pulled_always_a_digest_once(extras_objects):
    assert _pod(extras_objects, "StatefulSet", "whatsapp")["containers"][0]["imagePullPolicy"] == "Always"
    assert _pod(extras_objects, "Deployment", "sync")["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_secret_env_reaches_the_accessory_only_through_its_secret(prod_extras, extras_objects):
    secret = prod_extras.one("kubernetes:core/v1:Secret", "secret-whatsapp-env")
    data = secret.inputs["stringData"]
    assert isinstance(data, Secret) or isinstance(data["WA_TOKEN"], Secret)
    assert unwrapped(data) == {"WA_TOKEN": ACCESSORY_SECRET}
    assert isinstance(secret.outputs["stringData"], Secret)
    container = _pod(extras_objects, "StatefulSet", "whatsapp")["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "whatsapp-env"}}]
    assert {e["name"]: e["value"] for e in container["env"]}["LOG_LEVEL"] == "info"
    assert not any("valueFrom" in e for e in container["env"])
    # Only the accessory that has secretEnv gets a Secret.
    assert not prod_extras.find("kubernetes:core/v1:Secret", "secret-helpdesk-env")


def test_the_accessory_secret_is_never_printed_or_rendered(prod_extras, rendered_extras):
    assert not prod_extras.problems
    printed = json.dumps(prod_extras.as_dict())
    assert ACCESSORY_SECRET not in printed
    files = [p for p in rendered_extras.rglob("*") if p.is_file()]
    assert any(p.name == "accessories.yaml" for p in files)
    for path in files:
        assert ACCESSORY_SECRET not in path.read_text(), path
    assert ACCESSORY_SECRET not in json.dumps(masked(prod_extras.outputs))


def test_api_and_workers_are_pointed_at_each_ported_accessory(extras_objects):
    expected = {
        "ACCESSORY_WHATSAPP_URL": "http://whatsapp.ai-service.svc.cluster.local:3000",
        "ACCESSORY_HELPDESK_URL": "http://helpdesk.ai-service.svc.cluster.local:8080",
    }
    deployments = [
        o for o in extras_objects if o["kind"] == "Deployment" and o["metadata"]["name"].startswith("ai-service-")
    ]
    assert len(deployments) == 3  # api + two worker groups
    for deployment in deployments:
        env = {e["name"]: e["value"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert expected.items() <= env.items(), deployment["metadata"]["name"]
        assert "ACCESSORY_SYNC_URL" not in env  # no port, nothing to call


def test_only_a_public_accessory_gets_a_route_under_its_prefix(extras_objects, objects):
    routes = {o["metadata"]["name"]: o for o in extras_objects if o["kind"] == "HTTPRoute"}
    assert set(routes) == {"ai-service-https-redirect", "ai-service-api", "accessory-whatsapp"}
    route = routes["accessory-whatsapp"]["spec"]
    assert [p["sectionName"] for p in route["parentRefs"]] == ["https"]  # behind TLS; port 80 only redirects
    assert route["hostnames"] == ["api.example.com"]
    assert route["rules"] == [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/whatsapp/"}}],
            "filters": [
                {
                    "type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
                },
                {  # the accessory's own policy (the default one for UIs), not the upstream's
                    "type": "ResponseHeaderModifier",
                    "responseHeaderModifier": {"set": [{"name": "Content-Security-Policy", "value": ACCESSORY_CSP}]},
                },
            ],
            "backendRefs": [{"group": "", "kind": "Service", "name": "whatsapp", "port": 3000}],
        }
    ]
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "HTTPRoute"} == {
        "ai-service-https-redirect",
        "ai-service-api",
    }


def test_the_claim_is_counted_as_block_storage(prod_extras, prod):
    item = next(i for i in prod_extras.cost.items if i.resource == "statefulset-whatsapp")
    assert item.monthly_usd == pytest.approx(0.20)  # 2 GiB x $0.10
    assert prod_extras.cost.monthly_usd - prod.cost.monthly_usd == pytest.approx(0.20)


def _accessory_resources(plan) -> dict[str, dict]:
    return {
        r.name: r.inputs
        for r in plan.resources
        if any(r.name.endswith((f"-{n}", f"-{n}-env")) or f"accessory-{n}" in r.name for n in NAMES)
        or r.name == "networkpolicy-accessory-egress"
    }


def test_a_service_release_leaves_the_accessories_untouched(plan_stack):
    """Mocks cannot tell an update from a replace: identical inputs mean Pulumi has nothing to change."""
    plans = [
        plan_stack(
            "prod",
            accessories=Secret(ACCESSORIES),
            schedules=SCHEDULES,
            image=f"registry.digitalocean.com/ai-service/ai-service@sha256:{digit * 64}",
        )
        for digit in "cd"
    ]
    images = [
        p.one("Deployment", "deployment-ai-service-api").inputs["spec"]["template"]["spec"]["containers"][0]["image"]
        for p in plans
    ]
    assert images[0] != images[1]  # the service did move
    before, after = (_accessory_resources(p) for p in plans)
    assert set(before) >= {
        "statefulset-whatsapp",
        "deployment-helpdesk",
        "deployment-sync",
        "service-whatsapp",
        "secret-whatsapp-env",
        "serviceaccount-sync",
        "httproute-accessory-whatsapp",
        "networkpolicy-accessory-whatsapp-ingress",
        "networkpolicy-accessory-egress",
    }
    assert before == after


def test_an_accessory_that_calls_the_api_gets_its_internal_url(extras_objects):
    def env(kind: str, name: str) -> dict:
        return {e["name"]: e.get("value") for e in _pod(extras_objects, kind, name)["containers"][0].get("env", [])}

    api = "http://ai-service-api.ai-service.svc.cluster.local:8000"
    assert env("StatefulSet", "whatsapp")["AI_SERVICE_API_URL"] == api  # callsApi: true
    assert "AI_SERVICE_API_URL" not in env("Deployment", "helpdesk")
    assert find(extras_objects, "Service", "ai-service-api")["spec"]["ports"][0]["port"] == 8000


def test_csp_upstream_leaves_the_accessorys_own_header_alone(extras_objects):
    from infra.render.kubernetes.edge import EdgeSpec

    spec = EdgeSpec("ai-service", "api.example.com", "ops@example.com", "eg", "production", 1024)
    own = Accessory(name="chat", image="ghcr.io/example/chat:1.0.0", port=3000, public=True, csp="upstream")
    custom = own.model_copy(update={"csp": "default-src 'self'"})
    assert [f["type"] for f in accessory_route(spec, own)["spec"]["rules"][0]["filters"]] == ["URLRewrite"]
    (_, header) = accessory_route(spec, custom)["spec"]["rules"][0]["filters"]
    assert header["responseHeaderModifier"] == {
        "set": [{"name": "Content-Security-Policy", "value": "default-src 'self'"}]
    }
    # The API's route is the service's own: the gateway adds no header there (the app sends its strict one).
    api = find(extras_objects, "HTTPRoute", "ai-service-api")["spec"]["rules"]
    assert all("filters" not in rule for rule in api)


def test_the_api_answers_its_service_name_when_an_accessory_calls_it(extras_objects, objects):
    """The webhook arrives over plain HTTP with the Service's name as Host: allowed, and not redirected."""
    host = "ai-service-api.ai-service.svc.cluster.local"
    data = next(o for o in extras_objects if o["kind"] == "ConfigMap" and "ALLOWED_HOSTS" in o.get("data", {}))["data"]
    assert data["INTERNAL_HOSTS"] == host and data["ALLOWED_HOSTS"] == f"api.example.com,{host}"
    plain = next(o for o in objects if o["kind"] == "ConfigMap" and "ALLOWED_HOSTS" in o.get("data", {}))["data"]
    assert "INTERNAL_HOSTS" not in plain and plain["ALLOWED_HOSTS"] == "api.example.com"
