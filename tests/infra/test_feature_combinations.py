"""Every path through every stack ends in resources or a config error naming its key, never a traceback.

For each target, the optional features it documents are factors; a pairwise covering set of their
combinations is planned through the CLI entry (`python -m infra plan STACK --config-file FILE`,
in-process) from the committed stack file plus the combination. Secrets are written the way a user
writes them (`secure:`), so the offline plan sees them as present-but-opaque. Each generated stack
file also meets the editor's JSON Schema exactly when the plan accepts it.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from typing import Any

import jsonschema
import pytest
import yaml

from infra.tooling.cli import main
from infra.tooling.plan.stackfile import PROJECT_ROOT
from tests.fixtures.plan import stack_file
from tests.support.pairwise import all_pairs, covers_all_pairs

DROP = object()  # remove the key from the stack file
NS = "ai-service:"

BYO_DATABASE = {"database": {"url": {"secure": "v1:byo-database-url"}}}
BYO_REDIS = {"redis": {"url": {"secure": "v1:byo-redis-url"}}}
DOMAIN_ON = {"domain": "api.example.com", "letsencryptEmail": "ops@example.com", "appEnv": "production"}
DOMAIN_OFF = {"domain": DROP, "appEnv": "development"}
GATEWAY = {
    "name": "gateway",
    "image": "ghcr.io/example/wa-gateway:1.4.2",
    "port": 3000,
    "memory": 128,
    "secretEnv": {"GATEWAY_TOKEN": {"secure": "v1:gateway-token"}},
}
HELPDESK = {"name": "helpdesk", "image": "ghcr.io/example/helpdesk:2.0.1", "port": 8080, "public": True, "memory": 96}
VOLUME = {"volumes": [{"name": "sessions", "path": "/data", "sizeGi": 2}]}
SCHEDULES = [
    {"name": "cleanup", "cron": "*/15 * * * *", "command": ["enqueue-cleanup"]},
    {"name": "reindex", "cron": "30 3 * * 0", "command": ["reindex", "--inline"]},
]
EXISTING_CLUSTER = {
    "kubernetes": {"cluster": {"create": False}, "kubeconfig": {"secure": "v1:kubeconfig"}, "storageProvider": "spaces"}
}


def _factors(stack: str) -> dict[str, dict[str, dict[str, Any]]]:
    """factor -> {label: config entries}; the first label of each factor is the committed stack's own."""
    factors: dict[str, dict[str, dict[str, Any]]] = {
        "database": {"managed": {}, "byo": BYO_DATABASE},
        "redis": {"managed": {}, "byo": BYO_REDIS},
        "monitoring": {"on": {"monitoring": True}, "off": {"monitoring": False}},
        "schedules": {"default": {}, "none": {"schedules": []}, "custom": {"schedules": SCHEDULES}},
    }
    volume_hosts = stack in {"dev", "prod", "local"}
    if stack != "serverless":  # lambda runs the API only
        private = {**GATEWAY, **(VOLUME if volume_hosts else {})}
        factors["accessories"] = {
            "none": {},
            "private": {"accessories": [private]},
            "both": {"accessories": [private, HELPDESK]},
        }
    if volume_hosts:  # the targets that host Loki
        factors["logs"] = {"on": {"logs": {"enabled": True}}, "off": {"logs": {"enabled": False}}}
    if stack in {"dev", "aws", "gcp"}:  # a domain is optional there (required on kubernetes, refused on lambda)
        factors["domain"] = (
            {"off": DOMAIN_OFF, "on": DOMAIN_ON} if stack != "aws" else {"on": DOMAIN_ON, "off": DOMAIN_OFF}
        )
    if stack == "prod":
        factors["cluster"] = {"create": {}, "existing": EXISTING_CLUSTER}
    return factors


def _cases(stack: str) -> list[dict[str, str]]:
    factors = _factors(stack)
    cases = all_pairs({name: list(values) for name, values in factors.items()})
    assert covers_all_pairs({name: list(values) for name, values in factors.items()}, cases)
    return cases


def _stack_file(tmp_path, stack: str, case: dict[str, str]):
    document = yaml.safe_load(stack_file(stack).read_text())
    config = document["config"]
    config[f"{NS}budgetMonthlyUsd"] = 0  # the budget gate is not the subject here
    factors = _factors(stack)
    for name, label in case.items():
        for key, value in factors[name][label].items():
            if value is DROP:
                config.pop(NS + key, None)
            else:
                config[NS + key] = value
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@functools.cache
def _schema() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((PROJECT_ROOT / "schema/stack-config.schema.json").read_text()))


CASES = [(stack, case) for stack in ("dev", "prod", "local", "aws", "gcp", "serverless") for case in _cases(stack)]
CONFIG_ERROR = re.compile(r"^ai-service:[A-Za-z0-9_.\[\]]+: \S.*$")


@pytest.mark.parametrize(
    ("stack", "case"), CASES, ids=[f"{s}-" + "-".join(f"{k}={v}" for k, v in c.items()) for s, c in CASES]
)
def test_plan_reaches_resources_or_a_config_error(tmp_path, capsys, stack, case):
    path = _stack_file(tmp_path, stack, case)
    with warnings.catch_warnings():
        # An earlier plan's abandoned coroutines may be collected now; their RuntimeWarning is not this plan's output.
        warnings.simplefilter("ignore", RuntimeWarning)
        code = main(["plan", stack, "--config-file", str(path)])
    out, err = capsys.readouterr()
    # The editor's schema agrees with the plan: it refuses exactly the combinations the loader refuses.
    assert _schema().is_valid(yaml.safe_load(path.read_text())) == (code == 0), err
    assert code in (0, 2), f"exit {code}: {err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and out == "", err
        assert [line for line in lines if not CONFIG_ERROR.match(line)] == [], (
            "one line per problem, naming ai-service:<key>"
        )
    else:
        assert "Traceback" not in err and "resources" in out


def test_the_covering_set_stays_small():
    assert len(CASES) <= 80
    assert {s for s, _ in CASES} == {"dev", "prod", "local", "aws", "gcp", "serverless"}
