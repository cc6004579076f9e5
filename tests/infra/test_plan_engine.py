"""The offline plan's machinery: secrets stay masked, artifacts stay secret-free, budget and policy gate."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pulumi
import pulumi_random as random

from infra.components import artifacts
from infra.settings import load_settings
from infra.tooling.cost import CostItem, estimate
from infra.tooling.plan.plan import plan_config
from infra.tooling.plan.render import write_artifacts
from infra.tooling.plan.report import json_report, text_report
from infra.tooling.plan.runner import run_program
from infra.tooling.plan.stackfile import StackConfig
from infra.tooling.values import Secret

estimate_module = importlib.import_module(
    "infra.tooling.cost.estimate"
)  # the package re-exports a function of the same name
SENTINEL = "sentinel-secret-value-1234"


def _program():
    password = random.RandomPassword("db-password", length=24)
    component = pulumi.ComponentResource("ai-service:test:Box", "box")
    random.RandomPassword("inner", length=8, opts=pulumi.ResourceOptions(parent=component, protect=True))
    config = pulumi.Config("ai-service")
    token = config.require_secret("apiKeys")
    pulumi.export("password", password.result)
    pulumi.export("token", token)
    pulumi.export("url", "http://192.0.2.10")
    artifacts.publish("conf/app.conf", password.length.apply(lambda n: f"length={n}\n"))


CONFIG = StackConfig("ai-service", "t", {"ai-service:apiKeys": f"default:{SENTINEL}"}, ["ai-service:apiKeys"])


def test_generated_and_config_secrets_stay_secret():
    run = run_program(_program, CONFIG)
    assert isinstance(run.outputs["password"], Secret), "RandomPassword.result must be secret under mocks too"
    assert isinstance(run.outputs["token"], Secret)
    assert run.outputs["url"] == "http://192.0.2.10"


def test_parent_and_protect_are_recorded():
    run = run_program(_program, CONFIG)
    inner = next(r for r in run.resources if r.name == "inner")
    assert inner.parent.endswith("ai-service:test:Box::box")
    assert inner.protect is True
    assert next(r for r in run.resources if r.name == "db-password").protect is False


def _plan(monkeypatch, program=_program, config=CONFIG, **settings):
    monkeypatch.setattr("stacks.program.run", program)
    return plan_config(config, load_settings({f"ai-service:{k}": str(v) for k, v in settings.items()}))


def test_reports_never_print_secrets(monkeypatch, tmp_path):
    result = _plan(monkeypatch)
    rendered = json_report(result) + text_report(result)
    assert SENTINEL not in rendered
    assert json.loads(json_report(result))["outputs"]["token"] == "[secret]"
    write_artifacts(result, tmp_path)
    assert (tmp_path / "conf/app.conf").read_text() == "length=24\n"
    assert all(SENTINEL not in p.read_text() for p in tmp_path.rglob("*") if p.is_file())


def test_secret_artifact_fails_the_plan_and_is_not_written(monkeypatch, tmp_path):
    def leaky():
        password = random.RandomPassword("pw", length=12)
        artifacts.publish("env/app.env", password.result.apply(lambda v: f"PASSWORD={v}\n"))

    result = _plan(monkeypatch, program=leaky)
    assert result.problems == [
        (
            "artifact env/app.env: contains a secret value; secrets must reach hosts through the secret store, not "
            "rendered files"
        )
    ]
    write_artifacts(result, tmp_path)
    assert not (tmp_path / "env/app.env").exists()


def test_json_report_has_the_documented_shape(monkeypatch):
    report = json.loads(json_report(_plan(monkeypatch)))
    assert set(report) == {"stack", "target", "resources", "outputs", "cost", "policy"}
    assert {"type", "name", "parent", "inputs"} <= set(report["resources"][0])
    assert set(report["cost"]) == {"monthly_usd", "items", "unpriced"}
    assert report["policy"] == {"violations": []}
    assert next(r for r in report["resources"] if r["name"] == "inner")["parent"] == "box"


def _priced(monkeypatch, usd: float):
    rules = SimpleNamespace(
        COST_RULES={
            "random:index/randomPassword:RandomPassword": lambda r: [
                CostItem(r.name, r.type, usd, f"test price ${usd}")
            ]
        }
    )
    monkeypatch.setattr(estimate_module, "PROVIDER_RULES", (rules,))


def test_budget_breach_fails_with_the_key(monkeypatch):
    _priced(monkeypatch, 10.0)
    result = _plan(monkeypatch, budgetMonthlyUsd=25)  # two passwords x $10 = $20: within
    assert result.cost.monthly_usd == 20.0 and result.problems == []
    _priced(monkeypatch, 15.0)
    result = _plan(monkeypatch, budgetMonthlyUsd=25)
    assert result.problems == ["ai-service:budgetMonthlyUsd: estimated $30.00/month exceeds the budget of $25"]


def test_mandatory_policy_violation_fails_the_plan(monkeypatch):
    def open_ssh():
        pulumi.CustomResource(
            "digitalocean:index/firewall:Firewall",
            "fw",
            {"inboundRules": [{"protocol": "tcp", "portRange": "22", "sourceAddresses": ["0.0.0.0/0"]}]},
        )

    result = _plan(monkeypatch, program=open_ssh)
    assert result.problems == [
        "policy ssh-not-open-to-world: fw: SSH (22) is open to the internet; restrict it to sshAllowedCidrs"
    ]


def test_estimate_without_rules_is_zero():
    assert estimate([]).monthly_usd == 0
