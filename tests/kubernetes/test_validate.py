"""Every rendered manifest meets a real validator: kubernetes-validate --strict for built-in kinds
(for the cluster's Kubernetes version), the CRD schemas for custom resources, promtool for the
PrometheusRule, and checkov (with the justified skips docs/targets/kubernetes.md lists). The shipped prod
stack, prod with accessories and a second schedule, and prod as your own app (commands, port, health paths,
request timeout, env; tests/kubernetes/conftest.py) are checked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.settings.kubernetes import ClusterConfig
from tests.kubernetes.crd_schemas import SCHEMAS
from tests.support.tools import require_tool

KUBERNETES_VERSION = f"{ClusterConfig().version}.0"
BUILTIN_GROUPS = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}
# Justified in docs/targets/kubernetes.md → checkov skips. Keep both lists equal.
CHECKOV_SKIPS = {
    "CKV_K8S_35": (
        "the service reads its secrets from env (app/README.md's environment contract, 12-factor); "
        "Secrets are referenced, never inlined"
    ),
    "CKV_K8S_43": (
        "redis and redis_exporter are pinned by version tag (Renovate moves them); the app image is by digest"
    ),
}
CHECKOV_INSTALL = ".ci/tools.sh (uv venv .tools/checkov && uv pip install checkov==3.2.495)"
# Per-object skips live in the object's annotations (accessories: writable root, no port to probe).
INLINE_SKIP = "checkov.io/skip"


VARIANTS = {"prod": "rendered", "prod-with-extras": "rendered_extras", "prod-own-app": "rendered_own_app"}


@pytest.fixture(params=list(VARIANTS.values()), ids=list(VARIANTS))
def render(request) -> Path:
    return request.getfixturevalue(request.param)


def _split(rendered: Path) -> tuple[list[dict], list[dict]]:
    docs = [d for p in sorted((rendered / "kubernetes").glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
    return [d for d in docs if d["apiVersion"] in BUILTIN_GROUPS], [
        d for d in docs if d["apiVersion"] not in BUILTIN_GROUPS
    ]


def test_builtin_kinds_pass_kubernetes_validate_strict(render, tmp_path):
    validator = require_tool("kubernetes-validate", "uv sync (dev group)")
    builtin, _ = _split(render)
    assert {d["kind"] for d in builtin} >= {
        "Namespace",
        "Deployment",
        "Job",
        "CronJob",
        "StatefulSet",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    files = []
    for i, doc in enumerate(builtin):  # one object per file: a failure names its object
        path = tmp_path / f"{i:02d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump(doc))
        files.append(str(path))
    result = subprocess.run(
        [validator, "--strict", "-k", KUBERNETES_VERSION, *files], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Unknown kinds only warn: a warning here would mean an object went unchecked.
    assert "WARN" not in output and "ERROR" not in output, output
    assert output.count("passed") == len(builtin), output


def test_custom_resources_match_their_crd_schemas(render):
    _, custom = _split(render)
    kinds = {(d["apiVersion"], d["kind"]) for d in custom}
    assert kinds == set(SCHEMAS), f"custom kinds without a schema (or schemas unused): {kinds ^ set(SCHEMAS)}"
    for doc in custom:
        jsonschema.validate(doc, SCHEMAS[(doc["apiVersion"], doc["kind"])])


def test_crd_schema_rejects_a_misplaced_field(rendered):
    _, custom = _split(rendered)
    route = json.loads(
        json.dumps(next(d for d in custom if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == "ai-service-api"))
    )
    route["spec"]["rules"][0]["backendRef"] = route["spec"]["rules"][0].pop("backendRefs")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(route, SCHEMAS[(route["apiVersion"], route["kind"])])


def test_crd_schema_rejects_a_route_timeout_that_is_no_gateway_duration(rendered):
    _, custom = _split(rendered)
    route = json.loads(
        json.dumps(next(d for d in custom if d["kind"] == "HTTPRoute" and d["metadata"]["name"] == "ai-service-api"))
    )
    jsonschema.validate(route, SCHEMAS[(route["apiVersion"], route["kind"])])
    for bad in ({"request": "60"}, {"request": "1.5m"}, {"requestTimeout": "60s"}):
        route["spec"]["rules"][0]["timeouts"] = bad
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(route, SCHEMAS[(route["apiVersion"], route["kind"])])


def test_prometheus_rule_spec_passes_promtool(rendered, tmp_path):
    promtool = require_tool("promtool", "apt-get install -y prometheus")
    _, custom = _split(rendered)
    rule = next(d for d in custom if d["kind"] == "PrometheusRule")
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def checkov_results(request, tmp_path_factory) -> dict[str, dict[str, list]]:
    """One checkov run over every render (its start-up costs more than the scan): variant -> its
    passed/failed/skipped checks."""
    checkov = require_tool("checkov", CHECKOV_INSTALL)
    root = tmp_path_factory.mktemp("checkov")
    variants = {variant: request.getfixturevalue(fixture) for variant, fixture in VARIANTS.items()}
    for variant, render in variants.items():
        shutil.copytree(render / "kubernetes", root / variant)
    result = subprocess.run(
        [
            checkov,
            "-d",
            str(root),
            "--framework",
            "kubernetes",
            "--output",
            "json",  # not --quiet: passed checks too
            "--skip-check",
            ",".join(sorted(CHECKOV_SKIPS)),
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    by_variant: dict[str, dict[str, list]] = {v: {"passed": [], "failed": [], "skipped": []} for v in variants}
    for r in reports:
        for outcome in ("passed", "failed", "skipped"):
            for check in r["results"].get(f"{outcome}_checks", []):
                variant = check["file_path"].strip("/").split("/")[0]
                by_variant[variant][outcome].append(check)
    return by_variant


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_checkov_finds_no_failed_checks(variant, checkov_results, request):
    results = checkov_results[variant]
    render = request.getfixturevalue(VARIANTS[variant])
    failed = [(c["check_id"], c["resource"]) for c in results["failed"]]
    assert not failed, failed
    assert len(results["passed"]) > 100  # it really read the manifests
    # Nothing skipped beyond the global list and the reasons written into the objects themselves.
    docs = [d for p in (render / "kubernetes").glob("*.yaml") for d in yaml.safe_load_all(p.read_text()) if d]
    inline = [
        v for d in docs for k, v in ((d["metadata"].get("annotations") or {}).items()) if k.startswith(INLINE_SKIP)
    ]
    assert all("=" in v for v in inline)  # each with its reason
    assert len(results["skipped"]) == len(inline)


def test_url_rewrite_schema_rejects_a_misspelled_prefix(rendered_extras):
    _, custom = _split(rendered_extras)
    route = json.loads(json.dumps(next(d for d in custom if d["metadata"]["name"] == "accessory-whatsapp")))
    jsonschema.validate(route, SCHEMAS[(route["apiVersion"], route["kind"])])
    route["spec"]["rules"][0]["filters"][0]["urlRewrite"]["path"]["replacePrefix"] = "/"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(route, SCHEMAS[(route["apiVersion"], route["kind"])])


def test_kubernetes_page_lists_the_checkov_skips():
    page = (Path(__file__).resolve().parents[2] / "docs" / "targets" / "kubernetes.md").read_text()
    section = page.split("<!-- section:kubernetes:start -->")[1].split("<!-- section:kubernetes:end -->")[0]
    for check in CHECKOV_SKIPS:
        assert check in section
